#!/bin/sh
# install.sh: install link-migrate into $PREFIX/bin, Homebrew-style.
#
#   sh install.sh                         # from ./dist (after npm run build:all) or $LINK_MIGRATE_RELEASE_URL
#   sh install.sh --from DIR|URL          # a directory or release URL holding the files and SHA256SUMS
#   sh install.sh --prefix ~/.local       # default: /usr/local as root, else ~/.local
#   sh install.sh --uninstall             # remove exactly what an earlier install put there
#
# The compiled binary (link-migrate-linux-x64) is installed when it fits the
# platform, else the one-file bundle (link-migrate.cjs, needs Node >= 20).
# Its SHA-256 must match the SHA256SUMS file next to it; the installed file
# must answer --version. A manifest of what was installed is kept in
# $PREFIX/share/link-migrate/manifest for --uninstall.
set -eu

NAME=link-migrate
prefix=""
from=""
action=install

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
}

die() {
  printf 'install.sh: %s\n' "$*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --from) [ $# -ge 2 ] || die "--from needs a directory or URL"; from=$2; shift 2 ;;
    --from=*) from=${1#--from=}; shift ;;
    --uninstall) action=uninstall; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

if [ -z "$prefix" ]; then
  if [ "$(id -u)" = 0 ]; then prefix=/usr/local; else prefix="$HOME/.local"; fi
fi
bindir="$prefix/bin"
sharedir="$prefix/share/$NAME"
manifest="$sharedir/manifest"

if [ "$action" = uninstall ]; then
  [ -f "$manifest" ] || die "nothing to uninstall: no manifest at $manifest"
  while IFS= read -r path; do
    [ -n "$path" ] || continue
    if [ -e "$path" ] || [ -L "$path" ]; then
      rm -f "$path"
      printf 'removed %s\n' "$path"
    fi
  done < "$manifest"
  rm -f "$manifest"
  rmdir "$sharedir" 2>/dev/null || true
  printf 'link-migrate uninstalled from %s\n' "$prefix"
  exit 0
fi

if [ -z "$from" ]; then
  here=$(cd "$(dirname "$0")" && pwd)
  if [ -f "$here/dist/SHA256SUMS" ]; then
    from="$here/dist"
  elif [ -n "${LINK_MIGRATE_RELEASE_URL:-}" ]; then
    from=$LINK_MIGRATE_RELEASE_URL
  else
    die "no release found: run 'npm run build:all' first, or pass --from DIR|URL"
  fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/link-migrate-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# fetch NAME: copy or download one release file into $tmp.
fetch() {
  case "$from" in
    http://*|https://*)
      if command -v curl >/dev/null 2>&1; then
        curl -fsSL "$from/$1" -o "$tmp/$1" || return 1
      elif command -v wget >/dev/null 2>&1; then
        wget -q "$from/$1" -O "$tmp/$1" || return 1
      else
        die "need curl or wget to download from $from"
      fi ;;
    *)
      [ -f "$from/$1" ] || return 1
      cp "$from/$1" "$tmp/$1" ;;
  esac
}

os=$(uname -s)
arch=$(uname -m)
artifact=""
if [ "$os" = Linux ] && { [ "$arch" = x86_64 ] || [ "$arch" = amd64 ]; }; then
  if fetch "$NAME-linux-x64"; then artifact="$NAME-linux-x64"; fi
fi
if [ -z "$artifact" ]; then
  fetch "$NAME.cjs" || die "neither a binary for $os/$arch nor $NAME.cjs found in $from"
  artifact="$NAME.cjs"
  command -v node >/dev/null 2>&1 || die "$NAME.cjs needs Node.js >= 20 (no binary fits $os/$arch)"
fi
fetch SHA256SUMS || die "no SHA256SUMS in $from: refusing to install an unverified file"

expected=$(awk -v f="$artifact" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
[ -n "$expected" ] || die "SHA256SUMS has no entry for $artifact"
if command -v sha256sum >/dev/null 2>&1; then
  actual=$(sha256sum "$tmp/$artifact" | awk '{ print $1 }')
else
  actual=$(shasum -a 256 "$tmp/$artifact" | awk '{ print $1 }')
fi
[ "$expected" = "$actual" ] || die "checksum mismatch for $artifact: expected $expected, got $actual; not installed"

chmod 755 "$tmp/$artifact"
version=$("$tmp/$artifact" --version 2>&1) || die "$artifact does not run: $version"

mkdir -p "$bindir" "$sharedir"
target="$bindir/$NAME"
cp "$tmp/$artifact" "$target.tmp.$$"
mv -f "$target.tmp.$$" "$target"
printf '%s\n' "$target" > "$manifest"
printf 'installed %s (%s, sha256 %s) as %s\n' "$artifact" "$version" "$actual" "$target"
case ":$PATH:" in
  *":$bindir:"*) ;;
  *) printf 'note: %s is not on your PATH\n' "$bindir" ;;
esac
