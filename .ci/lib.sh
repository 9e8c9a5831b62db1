# Shared by the .ci scripts (sourced): a uv for fast throwaway venvs, and Python finding.

ci_uv() {  # path of a uv binary, bootstrapped from PyPI into build/ci-tools on first use
  if [ -n "${UV:-}" ]; then echo "$UV"; return; fi
  if ! [ -x build/ci-tools/bin/uv ]; then
    python3 -m venv build/ci-tools >&2
    build/ci-tools/bin/python -m pip install --quiet 'uv>=0.5' 'build>=1.2' 'twine>=6.1' >&2
  fi
  echo build/ci-tools/bin/uv
}

ci_python() {  # an interpreter for version $1 (e.g. 3.12): pyenv's, or one on PATH
  local v=$1 p
  for p in "$HOME"/.pyenv/versions/"$v".*/bin/python"$v" "$(command -v "python$v" || true)"; do
    if [ -n "$p" ] && [ -x "$p" ]; then echo "$p"; return 0; fi
  done
  echo "no Python $v found (pyenv install $v)" >&2
  return 1
}
