#!/bin/sh
# Starts the system (`licensechain start`) as it should run for a long time: with jemalloc as the
# process's malloc when the machine has it (Debian and Ubuntu: `apt-get install libjemalloc2`).
#
# Why: under steady load glibc's malloc lets the main thread's heap grow by 1.5–2 MB a minute
# for as long as the load lasts, while the process's live memory stays flat; under jemalloc the
# resident set levels off (figures and how they were found: README "Memory", bench/soak.ts).
#
#   LC_MALLOC=auto      (default) jemalloc when found, else glibc's malloc with a warning
#   LC_MALLOC=jemalloc  jemalloc, or exit 1 when it is not installed
#   LC_MALLOC=glibc     the C library's malloc
#   NODE=/path/to/node  the Node.js to run (default: `node` on PATH)
#
# `exec` keeps one process: signals (SIGTERM to stop, SIGKILL in the crash tests) reach Node.
set -eu

find_jemalloc() {
  for lib in $( (ldconfig -p || /sbin/ldconfig -p) 2>/dev/null | awk '/libjemalloc\.so\.2 /{ print $NF }') \
    /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/aarch64-linux-gnu/libjemalloc.so.2 \
    /usr/lib64/libjemalloc.so.2 /usr/lib/libjemalloc.so.2 /usr/local/lib/libjemalloc.so.2; do
    if [ -r "$lib" ]; then
      echo "$lib"
      return 0
    fi
  done
  return 1
}

malloc=${LC_MALLOC:-auto}
case "$malloc" in
  glibc) ;;
  auto | jemalloc)
    if lib=$(find_jemalloc); then
      export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
    elif [ "$malloc" = jemalloc ]; then
      echo "licensechain: LC_MALLOC=jemalloc but libjemalloc.so.2 is not installed (apt-get install libjemalloc2)" >&2
      exit 1
    else
      echo "licensechain: jemalloc is not installed; using glibc's malloc, whose heap keeps growing under long load (README \"Memory\")" >&2
    fi
    ;;
  *)
    echo "licensechain: LC_MALLOC is auto, jemalloc or glibc, not '$malloc'" >&2
    exit 2
    ;;
esac

exec "${NODE:-node}" "$(dirname "$0")/../build/bin/licensechain.js" start "$@"
