#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A stand-in for the deployed OSI dashboard backend (docs/api.md §5.1), for tests.
#
# The real service is a Python FastAPI application whose source is not
# public; the clients must work against it as well as against our own
# osi-backup-server. This fixture is not a mock of our server: it imitates
# the foreign service's HTTP contract, built on the same stack (FastAPI,
# Starlette, uvicorn, pydantic 1, from Debian 12), so that FastAPI's own
# answers (422 lists, 403 "Not authenticated", 404/405 defaults) and
# Starlette's FileResponse (no Range, no Repr-Digest) come from the real
# libraries rather than from an imitation of them.
#
# Command line, the same shape as osi-backup-server's so the C harness starts
# both the same way:
#
#   osi-fastapi-backend.py --data-dir DIR --backup-dir DIR --listen HOST:PORT
#                          [--token-file FILE] [--time-zone TZ]
#                          [--create-without-filename] [--extra-entries FILE]
#                          [--restore-field NAME]
#
# The first line on standard output is the URL it listens on (port 0 picks a
# free port); logs go to standard error. SIGTERM or SIGINT stops it.
#
# --token-file FILE   every endpoint but /health requires "Bearer <content>"
# --time-zone TZ      the server's local time zone (default Europe/Paris):
#                     list dates are naive local times, as the service sends
# --create-without-filename
#                     a create answers {"message"} only, as some versions do
# --extra-entries FILE
#                     TEST KNOB, not part of the service: a JSON array whose
#                     items are appended, unchanged, to the "backups" array of
#                     every list answer, to reproduce malformed entries (no
#                     "date", "date": "yesterday", odd names…)
# --restore-field NAME
#                     TEST KNOB, not part of the service: the restore body's
#                     field is NAME (default backupFile, the service's own),
#                     so that a client sending {"backupFile": …} gets
#                     FastAPI's genuine 422 {"detail": [{"loc": ["body",
#                     NAME], "msg": "field required", …}]}, as from a
#                     version of the backend that names the field otherwise
#
# Data: the live knowledge base is DATA_DIR/rag/search.json; backups are bare
# .json copies of it in BACKUP_DIR.

import argparse
import os
import sys

try:
    import uvicorn
    from fastapi import Depends, FastAPI, HTTPException, APIRouter, Query, Response
    from fastapi.responses import FileResponse, JSONResponse
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
    from pydantic import create_model
except ImportError:
    # A python3 found first on PATH (pyenv, a virtualenv) may lack Debian's
    # packages; the shebang's interpreter has them.
    system_python = "/usr/bin/python3"
    if (os.path.exists(system_python)
            and os.path.realpath(sys.executable) != os.path.realpath(system_python)
            and "OSI_FASTAPI_BACKEND_REEXEC" not in os.environ):
        os.environ["OSI_FASTAPI_BACKEND_REEXEC"] = "1"
        os.execv(system_python, [system_python] + sys.argv)
    print("osi-fastapi-backend: needs python3-fastapi and python3-uvicorn",
          file=sys.stderr)
    sys.exit(1)

import json
import logging
import secrets
import socket
import stat
import threading
import time
import zoneinfo
from datetime import datetime
from typing import Optional

KB_MISSING = "Knowledge base file not found"
NOT_FOUND = "Backup file not found"
INVALID_NAME = "Invalid filename"
INVALID_BACKUP = "Invalid backup file"

# Creates, restores and deletes pick names and replace files: one at a time,
# since FastAPI runs these (synchronous) handlers in a thread pool.
store_lock = threading.Lock()


def name_is_valid(name: str) -> bool:
    """A name that can only designate an entry directly inside BACKUP_DIR."""
    if not name or name.startswith("."):
        return False
    return not any(bad in name for bad in ("/", "\\", "\0", ".."))


def regular_file_stat(path: str) -> Optional[os.stat_result]:
    """The file's own stat if it is a regular file; a symbolic link is not
    followed, so nothing outside BACKUP_DIR is ever reached."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def write_atomically(directory: str, final_name: str, content: bytes) -> None:
    """Write CONTENT to a temporary (dot, .tmp) file beside FINAL_NAME, then
    rename it over FINAL_NAME: readers see the old file or the new one."""
    tmp_path = os.path.join(directory,
                            f".{final_name}.{secrets.token_hex(6)}.tmp")
    # os.open with 0o666 keeps the usual umask-derived mode of a new file.
    fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(tmp_path, os.path.join(directory, final_name))
    except BaseException:
        try:
            os.unlink(tmp_path)
        except OSError:
            pass
        raise


def free_timestamped_name(directory: str, prefix: str) -> str:
    """PREFIX_YYYYMMDD_HHMMSS.json in local time; if taken, wait for a later
    second that gives a free name."""
    while True:
        name = f"{prefix}_{datetime.now().strftime('%Y%m%d_%H%M%S')}.json"
        if not os.path.lexists(os.path.join(directory, name)):
            return name
        time.sleep(0.1)


def create_app(data_dir: str, backup_dir: str, token: Optional[str],
               create_without_filename: bool, extra_entries: list,
               restore_field: str = "backupFile") -> FastAPI:
    kb_dir = os.path.join(data_dir, "rag")
    kb_path = os.path.join(kb_dir, "search.json")

    # The restore body: {"backupFile": NAME} in the service; its field is
    # named by --restore-field (a pydantic model built here, so that the
    # 422 of a body without it is FastAPI's own).
    RestoreRequest = create_model("RestoreRequest", **{restore_field: (str, ...)})

    dependencies = []
    if token is not None:
        bearer = HTTPBearer()

        def check_token(
                credentials: HTTPAuthorizationCredentials = Depends(bearer)):
            # HTTPBearer answers a missing or non-Bearer header itself (403).
            if not secrets.compare_digest(credentials.credentials.encode(),
                                          token.encode()):
                raise HTTPException(status_code=401, detail="Invalid token",
                                    headers={"WWW-Authenticate": "Bearer"})

        dependencies.append(Depends(check_token))

    app = FastAPI(title="OSI dashboard backend (test fixture)")
    router = APIRouter(prefix="/api/rag", dependencies=dependencies)

    def backup_path(name: str) -> str:
        if not name_is_valid(name):
            raise HTTPException(status_code=400, detail=INVALID_NAME)
        path = os.path.join(backup_dir, name)
        if regular_file_stat(path) is None:
            raise HTTPException(status_code=404, detail=NOT_FOUND)
        return path

    def list_backups() -> dict:
        found = []
        with os.scandir(backup_dir) as entries:
            for entry in entries:
                name = entry.name
                if (name.startswith(".") or not name.endswith(".json")
                        or not entry.is_file(follow_symlinks=False)):
                    continue
                st = entry.stat(follow_symlinks=False)
                found.append((st.st_mtime_ns, name, st.st_mtime))
        found.sort(reverse=True)
        backups = [{
            "name": name,
            "path": os.path.join(backup_dir, name),
            # Naive local time, as the service sends it: no UTC offset,
            # microseconds whenever the mtime has a fractional part.
            "date": datetime.fromtimestamp(mtime).isoformat(),
        } for _, name, mtime in found]
        backups.extend(extra_entries)
        return {"backups": backups, "message": f"{len(backups)} backup(s) found"}

    @router.get("/backup")
    def get_backup(filename: Optional[str] = None):
        if filename is None:
            return list_backups()
        # Debian's Starlette FileResponse has no Range support: a Range
        # request gets the whole file, 200.
        return FileResponse(backup_path(filename),
                            media_type="application/json", filename=filename)

    @router.post("/backup")
    def create_backup():
        with store_lock:
            try:
                with open(kb_path, "rb") as kb:
                    content = kb.read()
            except FileNotFoundError:
                return JSONResponse(status_code=500, content={"error": KB_MISSING})
            name = free_timestamped_name(backup_dir, "search_backup")
            write_atomically(backup_dir, name, content)
        answer = {"message": "Backup created successfully"}
        if not create_without_filename:
            answer["filename"] = name
        return answer

    @router.post("/backup/restore")
    def restore_backup(request: RestoreRequest):
        name = getattr(request, restore_field)
        with store_lock:
            path = backup_path(name)
            with open(path, "rb") as backup:
                content = backup.read()
            try:
                parsed = json.loads(content)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                raise HTTPException(status_code=400, detail=INVALID_BACKUP)

            # The service keeps its own safety copy of what it replaces.
            try:
                with open(kb_path, "rb") as kb:
                    current = kb.read()
            except FileNotFoundError:
                current = None
            if current is not None:
                safety = free_timestamped_name(backup_dir, "search_pre_restore")
                write_atomically(backup_dir, safety, current)

            os.makedirs(kb_dir, exist_ok=True)
            write_atomically(kb_dir, "search.json", content)
        return {"message": f"Backup {name} restored successfully"}

    @router.delete("/backup", status_code=204)
    def delete_backup(filename: str = Query(...)):
        with store_lock:
            os.unlink(backup_path(filename))
        return Response(status_code=204)

    @app.get("/health")
    def health():
        return {"status": "healthy"}

    app.include_router(router)
    return app


class Server(uvicorn.Server):
    """uvicorn 0.17.6 has no graceful-shutdown timeout: on SIGTERM it waits
    for every open connection to finish. A test stopping the fixture must not
    wait on a client that is still sending, so force the exit shortly after."""

    def handle_exit(self, sig, frame):
        super().handle_exit(sig, frame)
        timer = threading.Timer(0.5, self._force)
        timer.daemon = True
        timer.start()

    def _force(self):
        self.force_exit = True


def parse_listen(value: str):
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"not HOST:PORT: {value!r}")
    return host.strip("[]"), int(port)


def fail(message: str) -> None:
    print(f"osi-fastapi-backend: {message}", file=sys.stderr)
    sys.exit(2)


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Test stand-in for the deployed OSI FastAPI backend.")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--backup-dir", required=True)
    parser.add_argument("--listen", required=True, type=parse_listen,
                        metavar="HOST:PORT")
    parser.add_argument("--token-file")
    parser.add_argument("--time-zone", default="Europe/Paris")
    parser.add_argument("--create-without-filename", action="store_true")
    parser.add_argument("--extra-entries", metavar="FILE",
                        help="test knob: a JSON array appended to every list")
    parser.add_argument("--restore-field", metavar="NAME", default="backupFile",
                        help="test knob: the restore body's field name")
    args = parser.parse_args()

    if not args.restore_field.isidentifier() or args.restore_field.startswith("_"):
        fail(f"--restore-field: not a field name: {args.restore_field!r}")

    # An unknown zone would make tzset() fall back to UTC without a word.
    try:
        zoneinfo.ZoneInfo(args.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        fail(f"unknown time zone {args.time_zone!r}")
    os.environ["TZ"] = args.time_zone
    time.tzset()

    token = None
    if args.token_file is not None:
        try:
            with open(args.token_file, encoding="utf-8") as f:
                token = f.read().strip()
        except OSError as e:
            fail(f"cannot read {args.token_file}: {e.strerror}")
        if not token:
            fail(f"{args.token_file} holds no token")

    extra_entries = []
    if args.extra_entries is not None:
        try:
            with open(args.extra_entries, encoding="utf-8") as f:
                extra_entries = json.load(f)
        except (OSError, ValueError) as e:
            fail(f"cannot read {args.extra_entries}: {e}")
        if not isinstance(extra_entries, list):
            fail(f"{args.extra_entries} is not a JSON array")

    backup_dir = os.path.abspath(args.backup_dir)
    os.makedirs(backup_dir, exist_ok=True)
    app = create_app(os.path.abspath(args.data_dir), backup_dir, token,
                     args.create_without_filename, extra_entries,
                     args.restore_field)

    host, port = args.listen
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        fail(f"cannot listen on {host}:{port}: {e.strerror}")
    sock.listen(128)

    # Logs on standard error only; standard output carries the URL alone.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="osi-fastapi-backend: %(levelname)s: %(message)s")
    config = uvicorn.Config(app, log_config=None, log_level="warning",
                            access_log=False, loop="asyncio", http="h11",
                            lifespan="off")
    server = Server(config)

    shown_host = f"[{host}]" if family == socket.AF_INET6 else host
    print(f"http://{shown_host}:{sock.getsockname()[1]}", flush=True)
    # The harness may close its end of the pipe once it has the URL: anything
    # written to standard output later goes to standard error instead.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
