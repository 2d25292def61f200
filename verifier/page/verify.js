// The verification page: QR payload or license file in, each check out, in Chinese or English.
// Plain browser JavaScript, no build step. Server text is inserted as text, never as HTML.
'use strict';

(function () {
  const STRINGS = {
    zh: {
      skip: '跳到主要内容',
      title: '电子证照核验',
      switchLang: 'English',
      intro: '核验电子证照是否真实、有效：扫描或粘贴证照上的二维码内容，或上传证照文件。结果逐项列出，并直接来自区块链账本。',
      qrHeading: '二维码',
      qrLabel: '二维码内容',
      qrHint: '例如 LC1:证照标识:sm3:摘要，或以 http 开头的核验网址。',
      verify: '核验',
      scan: '用摄像头扫码',
      stopScan: '停止扫码',
      cameraLabel: '摄像头画面',
      fileHeading: '证照文件',
      fileLabel: '选择证照文件（JSON），或将文件拖放到此处',
      resultHeading: '核验结果',
      noResult: '尚未核验。',
      footer: '核验结果以查询时的账本状态为准；状态与异议每次均实时查询。',
      checking: '正在核验……',
      verified: '核验通过',
      notVerified: '核验未通过',
      failedCheck: '未通过的检查项',
      error: '无法完成核验',
      identifier: '证照标识',
      licenseName: '证照名称',
      number: '证照编号',
      holder: '持证主体',
      blockHeight: '账本高度',
      checkedAt: '核验时间',
      passed: '通过',
      failed: '未通过',
      skipped: '未核验',
      emptyQr: '请先粘贴或扫描二维码内容。',
      badQr: '无法识别此二维码内容：应为 LC1:证照标识:摘要，或核验网址。',
      badFile: '所选文件不是 JSON 格式的电子证照。',
      ledgerDown: '区块链账本暂时无法访问，请稍后再试。这不代表证照无效。',
      rateLimited: '请求过于频繁，请稍后再试。',
      invalidDocument: '文件不是格式正确的电子证照',
      invalidQr: '二维码内容格式不正确',
      network: '网络错误，无法连接核验服务。',
      cameraError: '无法打开摄像头',
      colon: '：',
      checkNames: { integrity: '内容完整性', status: '证照状态', validity: '有效期', issuer: '颁发机构', seal: '电子印章', dispute: '异议' },
    },
    en: {
      skip: 'Skip to main content',
      title: 'E-license verification',
      switchLang: '中文',
      intro: 'Check that an electronic license is authentic and valid: scan or paste the contents of its QR code, or upload the license file. Each check is listed, straight from the ledger.',
      qrHeading: 'QR code',
      qrLabel: 'QR code contents',
      qrHint: 'For example LC1:identifier:sm3:digest, or a verification URL starting with http.',
      verify: 'Verify',
      scan: 'Scan with camera',
      stopScan: 'Stop scanning',
      cameraLabel: 'Camera view',
      fileHeading: 'License file',
      fileLabel: 'Choose a license file (JSON), or drop it here',
      resultHeading: 'Result',
      noResult: 'Nothing verified yet.',
      footer: 'Results reflect the ledger at the time of the check; status and disputes are read live every time.',
      checking: 'Verifying…',
      verified: 'Verified',
      notVerified: 'Not verified',
      failedCheck: 'Failed check',
      error: 'The verification could not be completed',
      identifier: 'Identifier',
      licenseName: 'License',
      number: 'Number',
      holder: 'Holder',
      blockHeight: 'Ledger height',
      checkedAt: 'Checked at',
      passed: 'passed',
      failed: 'failed',
      skipped: 'not checked',
      emptyQr: 'Paste or scan the QR code contents first.',
      badQr: 'These QR contents are not recognised: expected LC1:identifier:digest, or a verification URL.',
      badFile: 'The file is not a license in JSON.',
      ledgerDown: 'The ledger cannot be reached right now; try again later. This does not mean the license is invalid.',
      rateLimited: 'Too many requests; try again in a minute.',
      invalidDocument: 'The file is not a well-formed license',
      invalidQr: 'The QR code contents are malformed',
      network: 'Network error: the verification service cannot be reached.',
      cameraError: 'The camera cannot be opened',
      colon: ': ',
      checkNames: { integrity: 'Integrity', status: 'Status', validity: 'Validity', issuer: 'Issuer', seal: 'Seal', dispute: 'Dispute' },
    },
  };

  const $ = (id) => document.getElementById(id);
  let lang = 'zh';
  /** What is on screen, so a language switch can render it again. */
  let shown = { kind: 'none' };
  /** The key of the message under the QR field, if one is shown. */
  let qrErrorKey = null;

  function t(key) {
    return STRINGS[lang][key];
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === 'class') node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of [].concat(children || [])) {
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  function applyLanguage(next) {
    lang = next;
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll('[data-i18n-label]')) node.setAttribute('aria-label', t(node.dataset.i18nLabel));
    $('lang').setAttribute('lang', lang === 'zh' ? 'en' : 'zh-CN');
    document.title = lang === 'zh' ? '电子证照核验 · License verification' : 'E-license verification · 电子证照核验';
    try { localStorage.setItem('lc-verify-lang', lang); } catch (e) { /* private mode */ }
    if (qrErrorKey) $('qr-error').textContent = t(qrErrorKey);
    render(false);
  }

  // ---- input parsing ----

  /** `LC1:<identifier>:<digest>` or a verifier URL → { identifier, digest }, or null. */
  function parseQr(text) {
    const value = text.trim();
    if (value.startsWith('LC1:')) {
      const rest = value.slice(4);
      const colon = rest.indexOf(':');
      if (colon <= 0) return null;
      return { identifier: rest.slice(0, colon), digest: rest.slice(colon + 1) };
    }
    let url;
    try { url = new URL(value); } catch (e) { return null; }
    const match = /\/v1\/verify\/license\/([^/]+)$/.exec(url.pathname);
    const identifier = match ? decodeURIComponent(match[1]) : url.searchParams.get('identifier');
    const digest = url.searchParams.get('digest');
    return identifier && digest ? { identifier, digest } : null;
  }

  /** The sealed license inside what a holder may have saved (the license itself, or the issuance answer). */
  function sealedLicenseOf(json) {
    if (json && typeof json === 'object' && json.document && json.seal && json.digest) return json;
    if (json && typeof json === 'object' && json.document && json.document.document) return json.document;
    return json;
  }

  // ---- calls ----

  async function call(url, init) {
    show({ kind: 'busy' });
    let response;
    try {
      response = await fetch(url, Object.assign({ headers: { accept: 'application/json' } }, init));
    } catch (e) {
      show({ kind: 'error', message: t('network'), messageEn: null });
      return;
    }
    let body = null;
    try { body = await response.json(); } catch (e) { /* not JSON */ }
    if (response.ok && body) {
      show({ kind: 'result', result: body, document: init && init.document });
      return;
    }
    const code = body && body.code;
    const known = {
      LEDGER_UNAVAILABLE: 'ledgerDown',
      RATE_LIMITED: 'rateLimited',
      INVALID_DOCUMENT: 'invalidDocument',
      INVALID_IDENTIFIER: 'invalidQr',
      VALIDATION_FAILED: 'invalidQr',
    };
    show({ kind: 'error', key: known[code] || 'error', code: code || String(response.status), detail: body && body.detail });
  }

  function verifyQr(text) {
    clearFieldError();
    if (!text.trim()) return fieldError('emptyQr');
    const parsed = parseQr(text);
    if (!parsed) return fieldError('badQr');
    const query = new URLSearchParams({ digest: parsed.digest });
    return call(`/v1/verify/license/${encodeURIComponent(parsed.identifier)}?${query}`);
  }

  function fieldError(key) {
    qrErrorKey = key;
    const error = $('qr-error');
    error.textContent = t(key);
    error.hidden = false;
    $('qr').setAttribute('aria-invalid', 'true');
    $('qr').focus();
  }

  function clearFieldError() {
    qrErrorKey = null;
    $('qr-error').hidden = true;
    $('qr').removeAttribute('aria-invalid');
  }

  async function verifyFile(file) {
    clearFieldError();
    let json;
    try {
      json = JSON.parse(await file.text());
    } catch (e) {
      show({ kind: 'error', key: 'badFile' });
      return;
    }
    const sealed = sealedLicenseOf(json);
    await call('/v1/verify/license', {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ document: sealed }),
      document: sealed && sealed.document,
    });
  }

  // ---- rendering ----

  function show(next) {
    shown = next;
    render(true);
  }

  function render(moveFocus) {
    const target = $('result');
    target.replaceChildren();
    if (shown.kind === 'none') {
      target.append(el('p', { class: 'hint' }, t('noResult')));
      return;
    }
    if (shown.kind === 'busy') {
      target.append(el('p', { class: 'hint' }, t('checking')));
      return;
    }
    if (shown.kind === 'error') {
      const text = shown.key ? t(shown.key) : shown.message;
      const detail = shown.code ? `${shown.code}${shown.detail ? `: ${shown.detail}` : ''}` : '';
      target.append(
        el('div', { class: 'verdict error', id: 'verdict', tabindex: '-1', 'data-outcome': 'error' }, [
          el('span', { class: 'icon', 'aria-hidden': 'true' }, '!'),
          el('div', {}, [el('h3', {}, t('error')), el('p', {}, text), detail ? el('p', { class: 'code' }, detail) : '']),
        ]),
      );
    } else {
      renderResult(target, shown.result, shown.document);
    }
    if (moveFocus) $('verdict').focus();
  }

  function renderResult(target, result, doc) {
    const en = lang === 'en';
    const failed = result.checks.find((c) => !c.ok && c.code !== 'NOT_CHECKED');
    target.append(
      el('div', { class: `verdict ${result.verified ? 'ok' : 'fail'}`, id: 'verdict', tabindex: '-1', 'data-outcome': result.verified ? 'verified' : 'not-verified', 'data-code': result.code }, [
        el('span', { class: 'icon', 'aria-hidden': 'true' }, result.verified ? '✓' : '✗'),
        el('div', {}, [
          el('h3', {}, result.verified ? t('verified') : t('notVerified')),
          el('p', {}, en ? result.messageEn : result.message),
          failed ? el('p', {}, `${t('failedCheck')}${t('colon')}${t('checkNames')[failed.name]} (${failed.code})`) : '',
        ]),
      ]),
    );
    const meta = [[t('identifier'), result.identifier]];
    if (doc) {
      if (doc.name) meta.push([t('licenseName'), doc.name]);
      if (doc.number) meta.push([t('number'), doc.number]);
      if (doc.holderName) meta.push([t('holder'), doc.holderName]);
    }
    meta.push([t('blockHeight'), String(result.blockHeight)], [t('checkedAt'), new Date(result.checkedAt).toLocaleString(en ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai' })]);
    target.append(el('dl', { class: 'meta' }, meta.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])));
    target.append(
      el(
        'ul',
        { class: 'checks', 'aria-label': t('resultHeading') },
        result.checks.map((c) => {
          const state = c.ok ? 'ok' : c.code === 'NOT_CHECKED' ? 'skip' : 'fail';
          const word = c.ok ? t('passed') : c.code === 'NOT_CHECKED' ? t('skipped') : t('failed');
          return el('li', { class: `check ${state}`, 'data-check': c.name, 'data-code': c.code }, [
            el('span', { class: 'icon', 'aria-hidden': 'true' }, c.ok ? '✓' : c.code === 'NOT_CHECKED' ? '–' : '✗'),
            el('span', { class: 'title' }, [`${t('checkNames')[c.name]}${t('colon')}${word} `, el('span', { class: 'code' }, `(${c.code})`)]),
            el('p', { class: 'msg' }, en ? c.messageEn : c.message),
          ]);
        }),
      ),
    );
  }

  // ---- camera (progressive enhancement) ----

  let scanning = null;

  async function startScan() {
    const video = $('video');
    try {
      const detector = new window.BarcodeDetector({ formats: ['qr_code'] });
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      video.srcObject = stream;
      await video.play();
      $('camera').hidden = false;
      scanning = { stream, timer: null };
      const tick = async () => {
        if (!scanning) return;
        try {
          const codes = await detector.detect(video);
          if (codes.length > 0) {
            $('qr').value = codes[0].rawValue;
            stopScan();
            verifyQr(codes[0].rawValue);
            return;
          }
        } catch (e) { /* frame not ready */ }
        scanning.timer = setTimeout(tick, 250);
      };
      tick();
      $('stop-scan').focus();
    } catch (e) {
      stopScan();
      show({ kind: 'error', message: `${t('cameraError')}: ${e && e.message ? e.message : e}` });
    }
  }

  function stopScan() {
    if (scanning) {
      clearTimeout(scanning.timer);
      for (const track of scanning.stream.getTracks()) track.stop();
      scanning = null;
    }
    $('camera').hidden = true;
  }

  // ---- wiring ----

  document.addEventListener('DOMContentLoaded', () => {
    let saved = null;
    try { saved = localStorage.getItem('lc-verify-lang'); } catch (e) { /* private mode */ }
    const params = new URLSearchParams(location.search);
    applyLanguage(params.get('lang') === 'en' || saved === 'en' ? 'en' : 'zh');

    $('lang').addEventListener('click', () => applyLanguage(lang === 'zh' ? 'en' : 'zh'));
    $('qr-form').addEventListener('submit', (event) => {
      event.preventDefault();
      verifyQr($('qr').value);
    });
    $('file').addEventListener('change', () => {
      const file = $('file').files[0];
      if (file) verifyFile(file);
    });
    const drop = $('drop');
    drop.addEventListener('dragover', (event) => { event.preventDefault(); drop.classList.add('over'); });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (event) => {
      event.preventDefault();
      drop.classList.remove('over');
      const file = event.dataTransfer && event.dataTransfer.files[0];
      if (file) verifyFile(file);
    });
    if ('BarcodeDetector' in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      $('scan').hidden = false;
      $('scan').addEventListener('click', startScan);
      $('stop-scan').addEventListener('click', () => { stopScan(); $('scan').focus(); });
    }

    // Arrived from a QR URL (the API redirects browsers here): verify at once.
    const identifier = params.get('identifier');
    const digest = params.get('digest');
    if (identifier && digest) {
      const query = new URLSearchParams({ digest });
      $('qr').value = `LC1:${identifier}:${digest}`;
      call(`/v1/verify/license/${encodeURIComponent(identifier)}?${query}`);
    }
  });
})();
