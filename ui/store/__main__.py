"""The store from a shell, for whoever runs the server (the same MAKEMORE_STORE_URL / MAKEMORE_DATA_DIR as the app).

    python -m ui.store info                  # where it is, its schema, what it holds
    python -m ui.store purge                 # delete the sessions and classes past their idle time now
    python -m ui.store wipe --session CODE   # one student's session and its runs
    python -m ui.store wipe --class CODE     # one class, its members and its board
    python -m ui.store wipe --all            # everything (asks first; --yes does not)
"""
from __future__ import annotations

import argparse
import sys

import sqlalchemy as sa

from ui.store import Store, classes, codes, db, schema, sessions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.store", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("info", help="where the store is and what it holds")
    commands.add_parser("purge", help="delete what has expired")
    wipe = commands.add_parser("wipe", help="delete a session, a class or everything")
    which = wipe.add_mutually_exclusive_group(required=True)
    which.add_argument("--session", metavar="CODE", help="a session code (the s= value of a page's address)")
    which.add_argument("--class", dest="class_code", metavar="CODE", help="a class code")
    which.add_argument("--all", action="store_true", help="every session, run and class")
    wipe.add_argument("--yes", action="store_true", help="do not ask before --all")
    args = parser.parse_args(argv)

    store = Store()
    try:
        if args.command == "info":
            print(info(store))
        elif args.command == "purge":
            print("deleted {sessions} expired session(s) and {classes} class(es)".format(**store.purge()))
        else:
            return _wipe(store, args)
        return 0
    finally:
        store.close()


def info(store: Store) -> str:
    with db.reading(store.engine) as conn:
        version = schema.version(conn)
        counts = {table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                  for table in (schema.sessions, schema.runs, schema.classes, schema.shares)}
        stored = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(schema.runs.c.nbytes), 0))).scalar() + \
            conn.execute(sa.select(sa.func.coalesce(sa.func.sum(schema.shares.c.nbytes), 0))).scalar()
    return (f"store: {db.shown_url(store.url)} (schema {version})\n"
            f"sessions: {counts['sessions']}, runs: {counts['runs']}, classes: {counts['classes']}, "
            f"shared runs: {counts['shares']}, {stored / 2**20:.1f} MB of checkpoints\n"
            f"sessions expire after {sessions.IDLE_DAYS} days without use, classes after {classes.IDLE_DAYS}")


def _wipe(store: Store, args: argparse.Namespace) -> int:
    with db.writing(store.engine) as conn:
        if args.session:
            if not codes.is_session_code(args.session):
                print("that is not a session code (27 letters, digits, - and _)", file=sys.stderr)
                return 2
            gone = conn.execute(schema.sessions.delete().where(schema.sessions.c.key == codes.digest(args.session)))
            print(f"deleted {gone.rowcount} session(s) and its runs")
        elif args.class_code:
            code = codes.class_code(args.class_code)
            gone = conn.execute(schema.classes.delete().where(schema.classes.c.code == code)) if code else None
            print(f"deleted {gone.rowcount if gone else 0} class(es) with its members and board")
        else:
            if not args.yes and input(f"Delete every session, run and class in {db.shown_url(store.url)}? "
                                      "Type yes: ").strip() != "yes":
                print("nothing deleted")
                return 1
            for table in (schema.shares, schema.members, schema.classes, schema.run_frames, schema.runs,
                          schema.sessions):
                conn.execute(table.delete())
            print("deleted every session, run and class")
    if store.engine.dialect.name == "sqlite":  # give the freed pages back, so the deleted bytes leave the file
        raw = store.engine.raw_connection()  # outside any transaction, which VACUUM needs
        try:
            raw.cursor().execute("VACUUM")
        finally:
            raw.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
