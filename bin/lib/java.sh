# shellcheck shell=bash
# bin/lib/java.sh -- locate a JDK >= 21 for the dispatch project.
#
# Source this file, then call:
#
#     dispatch_find_java            # or: dispatch_find_java 25   (custom minimum)
#
# On success it exports JAVA_HOME (a JDK whose major version is >= the minimum,
# default 21) and prepends "$JAVA_HOME/bin" to PATH (only if it is not already
# first). On failure it prints a message to stderr and returns 1.
#
# Search order:
#   1. $JAVA_HOME, if it is set and is a JDK >= the minimum;
#   2. otherwise the highest-versioned JDK under /usr/lib/jvm/* (override the
#      search root with DISPATCH_JVM_DIR).
# The system `java` on PATH is deliberately NOT trusted (it is 17 on the dev box).
#
# Sourcing this file has no side effects other than defining the functions
# below; it does not change shell options.

# Print the major Java version of the JDK at $1 (e.g. 21, 25, 8), or nothing.
dispatch_java_major() {
    local home="$1" ver=""
    [[ -n "$home" && -x "$home/bin/java" && -x "$home/bin/javac" ]] || return 1
    if [[ -r "$home/release" ]]; then
        ver="$(sed -n 's/^JAVA_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$home/release" | head -n 1)"
    fi
    if [[ -z "$ver" ]]; then
        # e.g.: openjdk version "21.0.4" 2024-07-16   /   java version "1.8.0_402"
        ver="$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)"
    fi
    [[ -n "$ver" ]] || return 1
    if [[ "$ver" == 1.* ]]; then
        ver="${ver#1.}"
    fi
    ver="${ver%%[!0-9]*}"
    [[ -n "$ver" ]] || return 1
    printf '%s\n' "$ver"
}

dispatch_find_java() {
    local min="${1:-21}" root="${DISPATCH_JVM_DIR:-/usr/lib/jvm}"
    local best="" best_ver=0 cand ver

    if [[ -n "${JAVA_HOME:-}" ]]; then
        ver="$(dispatch_java_major "$JAVA_HOME" 2>/dev/null || true)"
        if [[ -n "$ver" ]] && (( ver >= min )); then
            best="$JAVA_HOME"
            best_ver="$ver"
        fi
    fi

    if [[ -z "$best" && -d "$root" ]]; then
        for cand in "$root"/*; do
            [[ -d "$cand" ]] || continue
            ver="$(dispatch_java_major "$cand" 2>/dev/null || true)"
            [[ -n "$ver" ]] || continue
            if (( ver >= min && ver > best_ver )); then
                best="$cand"
                best_ver="$ver"
            fi
        done
    fi

    if [[ -z "$best" ]]; then
        printf 'dispatch: no JDK >= %s found (JAVA_HOME=%s, searched %s/*).\n' \
            "$min" "${JAVA_HOME:-<unset>}" "$root" >&2
        printf 'dispatch: install a JDK %s+ or point JAVA_HOME at one.\n' "$min" >&2
        return 1
    fi

    # Canonicalise (resolves /usr/lib/jvm symlink aliases) when possible.
    if command -v readlink >/dev/null 2>&1; then
        best="$(readlink -f "$best" 2>/dev/null || printf '%s' "$best")"
    fi

    export JAVA_HOME="$best"
    case ":${PATH:-}:" in
        ":$JAVA_HOME/bin:"*) ;;                       # already first
        *) export PATH="$JAVA_HOME/bin${PATH:+:$PATH}" ;;
    esac
    return 0
}
