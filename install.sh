#!/bin/sh
# install.sh: install link-migrate into $PREFIX/bin, Homebrew-style.
#
#   sh install.sh                         # from ./dist (after npm run build or build:all) or $LINK_MIGRATE_RELEASE_URL
#   sh install.sh --from DIR|URL          # a directory or release URL holding the files and SHA256SUMS
#   sh install.sh --prefix ~/.local       # default: /usr/local as root, else ~/.local
#   sh install.sh --uninstall             # remove exactly what an earlier install put there
#
# The compiled binary (link-migrate-linux-x64) is installed when it fits the
# platform, else the one-file bundle (link-migrate.cjs, needs Node >= 20).
# Its SHA-256 must match the SHA256SUMS file next to it; the installed file
# must answer --version. A manifest of what was installed (the file and the
# directories the install created) is kept in
# $PREFIX/share/link-migrate/manifest for --uninstall.
set -eu

NAME=link-migrate
prefix=""
from=""
action=install

usage() {
  # Not read from "$0": that is just "sh" under `curl ... | sh`.
  cat <<'USAGE'
install.sh: install link-migrate into $PREFIX/bin, Homebrew-style.

  sh install.sh                         # from ./dist (after npm run build or build:all) or $LINK_MIGRATE_RELEASE_URL
  sh install.sh --from DIR|URL          # a directory or release URL holding the files and SHA256SUMS
  sh install.sh --prefix ~/.local       # default: /usr/local as root, else ~/.local
  sh install.sh --uninstall             # remove exactly what an earlier install put there

The compiled binary (link-migrate-linux-x64) is installed when it fits the
platform, else the one-file bundle (link-migrate.cjs, needs Node >= 20).
Its SHA-256 must match the SHA256SUMS file next to it; the installed file
must answer --version. A manifest of what was installed is kept in
$PREFIX/share/link-migrate/manifest for --uninstall.
USAGE
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
  if [ "$(id -u)" = 0 ]; then
    prefix=/usr/local
  else
    [ -n "${HOME:-}" ] || die "HOME is not set: pass --prefix DIR"
    prefix="$HOME/.local"
  fi
fi
[ -n "$prefix" ] || die "--prefix is empty"
# Absolute, so that the manifest's paths hold from any directory.
case "$prefix" in
  /*) ;;
  *) prefix="$(pwd)/$prefix" ;;
esac
bindir="$prefix/bin"
sharedir="$prefix/share/$NAME"
manifest="$sharedir/manifest"

# The manifest holds one path a line: files as they are, directories that the
# install created with a trailing /. Uninstall removes the files, then those
# directories (deepest first) when they are empty.
if [ "$action" = uninstall ]; then
  if [ ! -f "$manifest" ]; then
    printf 'nothing to uninstall: no %s manifest at %s\n' "$NAME" "$manifest"
    exit 0
  fi
  while IFS= read -r path; do
    case "$path" in
      ''|*/) continue ;;
    esac
    if [ -e "$path" ] || [ -L "$path" ]; then
      rm -f "$path"
      printf 'removed %s\n' "$path"
    fi
  done < "$manifest"
  dirs=$(grep '/$' "$manifest" || true)
  rm -f "$manifest"
  if [ -n "$dirs" ]; then
    printf '%s\n' "$dirs" | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2- |
      while IFS= read -r dir; do
        dir=${dir%/}
        if [ -d "$dir" ] && rmdir "$dir" 2>/dev/null; then
          printf 'removed %s/\n' "$dir"
        fi
      done
  fi
  # A manifest from an older install.sh lists no directories.
  rmdir "$sharedir" 2>/dev/null || true
  printf '%s uninstalled from %s\n' "$NAME" "$prefix"
  exit 0
fi

if [ -z "$from" ]; then
  here=$(cd "$(dirname "$0")" && pwd)
  if [ -f "$here/dist/SHA256SUMS" ]; then
    from="$here/dist"
  elif [ -n "${LINK_MIGRATE_RELEASE_URL:-}" ]; then
    from=$LINK_MIGRATE_RELEASE_URL
  elif [ -f "$here/dist/$NAME.cjs" ]; then
    die "$here/dist has $NAME.cjs but no SHA256SUMS: run 'npm run checksums' (npm run build writes it), or pass --from DIR|URL"
  else
    die "no release found in $here/dist: run 'npm run build' (the one-file bundle, needs Node >= 20) or 'npm run build:all' (also the compiled binary) first, or pass --from DIR|URL"
  fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/link-migrate-install.XXXXXX")
staged=""
cleanup() {
  rm -rf "$tmp"
  if [ -n "$staged" ]; then rm -f "$staged"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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
  # A local build: `npm run build` after an earlier build:all leaves an older
  # binary beside the new bundle; install what was built last.
  case "$from" in
    http://*|https://*) ;;
    *)
      if [ -n "$artifact" ] && [ -f "$from/$NAME.cjs" ] && [ -n "$(find "$from/$NAME.cjs" -newer "$from/$NAME-linux-x64" 2>/dev/null)" ]; then
        printf 'note: %s is older than %s: installing the bundle (npm run build:binary refreshes the binary)\n' "$from/$NAME-linux-x64" "$from/$NAME.cjs"
        artifact=""
      fi ;;
  esac
fi
if [ -z "$artifact" ]; then
  fetch "$NAME.cjs" || die "neither a binary for $os/$arch nor $NAME.cjs found in $from"
  artifact="$NAME.cjs"
  command -v node >/dev/null 2>&1 || die "$NAME.cjs needs Node.js >= 20 (no binary fits $os/$arch)"
fi
fetch SHA256SUMS || die "no SHA256SUMS in $from: refusing to install an unverified file"

expected=$(awk -v f="$artifact" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
[ -n "$expected" ] || die "SHA256SUMS has no entry for $artifact: refusing to install an unverified file"
if command -v sha256sum >/dev/null 2>&1; then
  actual=$(sha256sum "$tmp/$artifact" | awk '{ print $1 }')
else
  actual=$(shasum -a 256 "$tmp/$artifact" | awk '{ print $1 }')
fi
[ "$expected" = "$actual" ] || die "checksum mismatch for $artifact: expected $expected, got $actual; not installed"

# missing_dirs DIR: DIR and those of its parents that do not exist yet, one a
# line, each with a trailing /.
missing_dirs() {
  d=$1
  while [ ! -d "$d" ]; do
    printf '%s/\n' "$d"
    parent=$(dirname "$d")
    [ "$parent" != "$d" ] || break
    d=$parent
  done
}
created=$( { missing_dirs "$bindir"; missing_dirs "$sharedir"; } | awk '!seen[$0]++ { print length($0) "\t" $0 }' | sort -n | cut -f2-)

# undo_dirs: remove the directories this run created (after a failed check).
undo_dirs() {
  [ -n "$created" ] || return 0
  printf '%s\n' "$created" | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2- |
    while IFS= read -r dir; do rmdir "${dir%/}" 2>/dev/null || true; done
}

# Staged next to its final place (not in $TMPDIR, which may be noexec), checked
# there with --version, then renamed over the old one in one step.
mkdir -p "$bindir" "$sharedir"
target="$bindir/$NAME"
staged="$target.tmp.$$"
cp "$tmp/$artifact" "$staged"
chmod 755 "$staged"
if ! version=$("$staged" --version 2>&1); then
  rm -f "$staged"
  staged=""
  undo_dirs
  die "$artifact does not run ($version); not installed"
fi
mv -f "$staged" "$target"
staged=""

{
  if [ -f "$manifest" ]; then cat "$manifest"; fi
  printf '%s\n' "$target"
  if [ -n "$created" ]; then printf '%s\n' "$created"; fi
} | awk 'NF && !seen[$0]++' > "$manifest.tmp.$$"
mv -f "$manifest.tmp.$$" "$manifest"

printf 'installed %s (%s, sha256 %s) as %s\n' "$artifact" "$version" "$actual" "$target"
if [ -n "$created" ]; then
  printf '%s\n' "$created" | while IFS= read -r dir; do printf 'created %s\n' "$dir"; done
fi
printf 'manifest: %s (sh install.sh --prefix %s --uninstall removes it all)\n' "$manifest" "$prefix"
case ":$PATH:" in
  *":$bindir:"*) ;;
  *) printf 'note: %s is not on your PATH\n' "$bindir" ;;
esac
