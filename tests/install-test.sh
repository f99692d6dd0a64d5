#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# install-test.sh BUILD_DIR PREFIX BINDIR DATADIR LOCALEDIR
#
# Installs the build into a temporary DESTDIR, checks that every part is
# where the desktop, AppStream and gettext look for it, then runs the
# installed programs as installed: the prefix is overlaid with the DESTDIR
# copy in a private mount namespace, so that they find their translations,
# schema and server through the paths configured at build time, with none
# of the build's environment variables. Without mount namespaces (some
# containers), they run from the DESTDIR with OSI_BACKUP_LOCALEDIR instead.
#
# The app is started as the README starts it (--demo) under the display the
# test suite runs in; it reports its first frame with backups listed, saves
# it and closes its window: it must then exit with status 0.
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Runs the installed programs. $root is where PREFIX's files are seen:
# PREFIX itself inside the namespace, the DESTDIR copy otherwise.
run_installed() {
  local root_bindir=$1 root_datadir=$2 root_localedir=$3 tmp=$4
  local app_log=$tmp/app.log frame=$tmp/first-list-frame.png status=0
  local -a clean_env=(env -u GSETTINGS_SCHEMA_DIR -u OSI_BACKUP_SERVER -u OSI_BACKUP_CLI -u OSI_BACKUP_APP
                      -u OSI_BACKUP_TOKEN)

  if [ "$root_localedir" != "$LOCALEDIR" ]; then
    clean_env+=(OSI_BACKUP_LOCALEDIR="$root_localedir")
  else
    clean_env+=(-u OSI_BACKUP_LOCALEDIR)
  fi

  # The command-line tool, in French: its .mo found where it was installed.
  if locale -a 2>/dev/null | grep -qi '^fr_FR\.utf-\?8$'; then
    LANGUAGE=fr LC_ALL=fr_FR.UTF-8 "${clean_env[@]}" "$root_bindir/osi-backup-cli" --help >"$tmp/cli-fr.txt" ||
      fail "osi-backup-cli --help exited with status $?"
    grep -q 'les plus récentes d’abord' "$tmp/cli-fr.txt" ||
      fail "osi-backup-cli --help is not in French:$(printf '\n'; cat "$tmp/cli-fr.txt")"
    echo "ok: osi-backup-cli --help is in French"
  else
    echo "SKIP: no fr_FR.UTF-8 locale (generate it: .ci/install-deps does)"
  fi
  LANGUAGE= LC_ALL=C.UTF-8 "${clean_env[@]}" "$root_bindir/osi-backup-cli" --help | grep -q '^Usage: osi-backup-cli' ||
    fail "osi-backup-cli --help is not in English under C.UTF-8"

  if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    echo "SKIP: no display: the installed osi-backup was not started"
    return 0
  fi
  # XDG_DATA_DIRS as a desktop session with this prefix has it: the schema
  # and icons come from there. The KILL only turns a hang into a failure.
  XDG_DATA_DIRS="$root_datadir:/usr/share" \
  XDG_CACHE_HOME="$tmp/cache" XDG_CONFIG_HOME="$tmp/config" \
  GSETTINGS_BACKEND=memory OSI_BACKUP_NO_KEYRING=1 \
  OSI_BACKUP_REPORT_FIRST_LIST_FRAME=1 OSI_BACKUP_SCREENSHOT="$frame" \
    timeout -s KILL 120 "${clean_env[@]}" "$root_bindir/osi-backup" --demo 2>"$app_log" || status=$?
  [ "$status" -eq 0 ] ||
    fail "osi-backup --demo exited with status $status; its output:$(printf '\n'; cat "$app_log")"
  grep -q '^first-list-frame ' "$app_log" ||
    fail "osi-backup --demo never showed its list; its output:$(printf '\n'; cat "$app_log")"
  [ "$(head -c 8 "$frame" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
    fail "osi-backup --demo saved no PNG of its first frame"
  if grep -E -q -- '-(CRITICAL|WARNING) \*\*' "$app_log"; then
    fail "osi-backup --demo warned:$(printf '\n'; cat "$app_log")"
  fi
  echo "ok: the installed osi-backup --demo listed its backups and exited cleanly"
}

if [ "${1:-}" = --in-namespace ]; then
  shift
  dest=$1 PREFIX=$2 BINDIR=$3 DATADIR=$4 LOCALEDIR=$5 tmp=$6
  # The prefix's own files stay visible beneath the installed ones.
  trap 'rm -rf "$tmp"' EXIT
  mount -t overlay overlay -o "lowerdir=$dest$PREFIX:$PREFIX" "$PREFIX" ||
    fail "cannot overlay $PREFIX"
  run_installed "$BINDIR" "$DATADIR" "$LOCALEDIR" "$tmp"
  exit 0
fi

[ $# -eq 5 ] || { echo "usage: $0 BUILD_DIR PREFIX BINDIR DATADIR LOCALEDIR" >&2; exit 2; }
BUILD=$1 PREFIX=$2 BINDIR=$3 DATADIR=$4 LOCALEDIR=$5
APP_ID=org.osi.Backup

tmp=$(mktemp -d "${TMPDIR:-/tmp}/osi-install-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest

meson install -C "$BUILD" --no-rebuild --destdir "$dest" >"$tmp/install.log" 2>&1 ||
  fail "meson install failed:$(printf '\n'; cat "$tmp/install.log")"
echo "ok: installed into $dest"

check_file() {
  [ -f "$dest$1" ] && [ -s "$dest$1" ] || fail "$1 is not installed"
}
for program in osi-backup osi-backup-cli osi-backup-server; do
  [ -x "$dest$BINDIR/$program" ] || fail "$BINDIR/$program is not installed"
done
check_file "$DATADIR/glib-2.0/schemas/$APP_ID.gschema.xml"
check_file "$DATADIR/applications/$APP_ID.desktop"
check_file "$DATADIR/metainfo/$APP_ID.metainfo.xml"
check_file "$DATADIR/icons/hicolor/scalable/apps/$APP_ID.svg"
check_file "$DATADIR/icons/hicolor/symbolic/apps/$APP_ID-symbolic.svg"
check_file "$LOCALEDIR/fr/LC_MESSAGES/osi-backup.mo"

# What the desktop file and the metainfo name must be there.
desktop=$dest$DATADIR/applications/$APP_ID.desktop
metainfo=$dest$DATADIR/metainfo/$APP_ID.metainfo.xml
exec_program=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$desktop")
[ -x "$dest$BINDIR/$exec_program" ] || fail "the desktop file runs $exec_program, which is not installed"
icon=$(sed -n 's/^Icon=//p' "$desktop")
[ -f "$dest$DATADIR/icons/hicolor/scalable/apps/$icon.svg" ] || fail "the desktop file's icon $icon is not installed"
grep -q "<launchable type=\"desktop-id\">$APP_ID.desktop</launchable>" "$metainfo" ||
  fail "the metainfo does not launch $APP_ID.desktop"
for program in $(sed -n 's|.*<binary>\(.*\)</binary>.*|\1|p' "$metainfo"); do
  [ -x "$dest$BINDIR/$program" ] || fail "the metainfo provides $program, which is not installed"
done
grep -q 'xml:lang="fr"' "$metainfo" || fail "the installed metainfo carries no French"
echo "ok: programs, schema, desktop file, metainfo, icons and French translation installed"

# gnome.post_install compiles the schemas only when DESTDIR is empty; a
# package's postinst (or the first plain install) does it otherwise.
glib-compile-schemas --strict "$dest$DATADIR/glib-2.0/schemas" || fail "the installed schema does not compile"
[ -f "$dest$DATADIR/glib-2.0/schemas/gschemas.compiled" ] || fail "no gschemas.compiled"

# A private mount namespace where the prefix can be overlaid: as root
# directly, otherwise as root of a new user namespace. Some containers
# allow neither.
overlay=(mount -t overlay overlay -o "lowerdir=$dest$PREFIX:$PREFIX" "$PREFIX")
namespace=()
if [ -d "$PREFIX" ]; then
  if unshare --mount "${overlay[@]}" 2>/dev/null; then
    namespace=(unshare --mount)
  elif unshare --map-root-user --mount "${overlay[@]}" 2>/dev/null; then
    namespace=(unshare --map-root-user --mount)
  fi
fi
if [ ${#namespace[@]} -gt 0 ]; then
  exec "${namespace[@]}" bash "$0" --in-namespace "$dest" "$PREFIX" "$BINDIR" "$DATADIR" "$LOCALEDIR" "$tmp"
fi

echo "note: no mount namespace here: the installed programs run from $dest"
grep -qaF "$LOCALEDIR" "$dest$BINDIR/osi-backup-cli" || fail "osi-backup-cli does not look for its translations in $LOCALEDIR"
run_installed "$dest$BINDIR" "$dest$DATADIR" "$dest$LOCALEDIR" "$tmp"
