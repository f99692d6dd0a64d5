#!/usr/bin/env bash
# Takes the README's screenshot: the main window in French on the demo
# server, as data/screenshots/main-window.png.
#
#   tools/osi-screenshot.sh [BUILD_DIR]     (default: ./build)
#
# Builds what it runs, then starts `osi-backup --demo` with a fresh cache,
# in-memory settings, no keyring and the build's translations, under the X
# server of $DISPLAY or, without one, an Xvfb of its own (1280x800x24).
# The app renders the window itself, GTK's own rendering of the frame that
# first shows the list (OSI_BACKUP_SCREENSHOT), then quits: no screen
# grabber is needed, and no window manager decoration is in the picture.
# Needs the fr_FR.UTF-8 locale (.ci/install-deps makes it) and, for the
# look of the README, the Cantarell font (fonts-cantarell).
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
build=$(cd "$build" 2>/dev/null && pwd) || { echo "osi-screenshot: no build folder ${1:-build} (meson setup build first)" >&2; exit 2; }
out="$source_dir/data/screenshots/main-window.png"
timeout_s=60

if ! locale -a 2>/dev/null | grep -qi '^fr_FR\.utf-\?8$'; then
  echo "osi-screenshot: the fr_FR.UTF-8 locale is missing (.ci/install-deps generates it)" >&2
  exit 1
fi
if ! fc-list 2>/dev/null | grep -qi cantarell; then
  echo "osi-screenshot: warning: no Cantarell font (fonts-cantarell); GTK falls back to another" >&2
fi

echo "osi-screenshot: building in $build"
ninja -C "$build" src/app/osi-backup src/server/osi-backup-server data/gschemas.compiled osi-backup-gmo >/dev/null

tmp=$(mktemp -d "${TMPDIR:-/tmp}/osi-screenshot-XXXXXX")
xvfb_pid=
cleanup() {
  if [ -n "$xvfb_pid" ]; then
    kill "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

if [ -z "${DISPLAY:-}" ]; then
  command -v Xvfb >/dev/null || { echo "osi-screenshot: no \$DISPLAY and no Xvfb (apt install xvfb)" >&2; exit 1; }
  # Xvfb picks a free display and writes its number to the pipe.
  exec 3<> <(:)
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
  xvfb_pid=$!
  display=
  read -r -t 10 display <&3 || true
  exec 3<&-
  if [ -z "$display" ]; then
    echo "osi-screenshot: Xvfb did not start:" >&2
    cat "$tmp/xvfb.log" >&2
    exit 1
  fi
  export DISPLAY=":$display"
fi

# As on a GNOME desktop: Xvfb has no settings daemon to name the font.
if fc-list 2>/dev/null | grep -qi cantarell; then
  mkdir -p "$tmp/config/gtk-4.0"
  printf '[Settings]\ngtk-font-name=Cantarell 11\n' >"$tmp/config/gtk-4.0/settings.ini"
fi

echo "osi-screenshot: osi-backup --demo on $DISPLAY, in French"
status=0
env -u OSI_BACKUP_TOKEN -u LANG \
  LANGUAGE=fr LC_ALL=fr_FR.UTF-8 \
  OSI_BACKUP_LOCALEDIR="$build/po" \
  OSI_BACKUP_SERVER="$build/src/server/osi-backup-server" \
  OSI_BACKUP_NO_KEYRING=1 \
  OSI_BACKUP_SCREENSHOT="$tmp/main-window.png" \
  GSETTINGS_SCHEMA_DIR="$build/data" GSETTINGS_BACKEND=memory \
  XDG_CACHE_HOME="$tmp/cache" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" \
  timeout -s KILL "$timeout_s" "$build/src/app/osi-backup" --demo >"$tmp/app.log" 2>&1 || status=$?

if [ ! -s "$tmp/main-window.png" ]; then
  if [ "$status" -eq 137 ]; then
    echo "osi-screenshot: no list within $timeout_s s (the app was stopped; does it have the" \
         "OSI_BACKUP_SCREENSHOT hook?); its output:" >&2
  else
    echo "osi-screenshot: the app exited ($status) without a screenshot; its output:" >&2
  fi
  cat "$tmp/app.log" >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "osi-screenshot: warning: the app exited with status $status after the screenshot; its output:" >&2
  cat "$tmp/app.log" >&2
fi

mkdir -p "$(dirname "$out")"
mv "$tmp/main-window.png" "$out"
echo "osi-screenshot: wrote $out ($(stat -c %s "$out") bytes)"
