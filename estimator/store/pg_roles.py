"""The PostgreSQL roles of a shared practice database (``estimator db init-roles``).

Three group roles (NOLOGIN) carry the privileges; the practice's IT creates one login per person and makes it a
member of one of them.  The database itself refuses what a role may not do (a front desk cannot change a
contract even with another program); ``estimator.store.roles`` holds the same table for the app's messages.
Nobody but the owner may change or delete audit-trail rows.
"""

from __future__ import annotations

import re
from typing import Final

from estimator.core.errors import InputError
from estimator.store.pg_store import PostgresStore
from estimator.store.roles import Role
from estimator.store.sql_store import NotAllowedError, SqlStore

_ALL: Final = ", ".join(r.database_role for r in Role)
_GRANTS: Final = f"""
GRANT USAGE ON SCHEMA public TO {_ALL};
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {_ALL};
GRANT SELECT ON ALL TABLES IN SCHEMA public TO {_ALL};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {_ALL};
GRANT INSERT ON gfe_log, gfe_search, audit_trail TO {_ALL};
GRANT INSERT, UPDATE, DELETE ON column_mappings TO {Role.BILLING.database_role}, {Role.MANAGER.database_role};
GRANT INSERT, UPDATE ON remit_files, remit_lines TO {Role.BILLING.database_role}, {Role.MANAGER.database_role};
GRANT INSERT, UPDATE, DELETE ON practice, charge_master, payers, payer_fees TO {Role.MANAGER.database_role};
GRANT DELETE ON gfe_log TO {Role.MANAGER.database_role}
"""

_LOGIN_NAME: Final = re.compile(r"^[a-z_][a-z0-9_.-]{0,62}$")


def init_roles(store: SqlStore, members: dict[str, Role] | None = None) -> list[str]:
    """Create the three roles (if missing), grant their privileges, and add logins to them; one transaction.

    Args:
        store: connected as the database's owner (or a superuser).
        members: existing login names -> the role each gets (replacing any other estimator role it had).

    Returns:
        What was done, one line each.

    Raises:
        InputError: a login name that is not a plain name, or does not exist on the server.
    """
    if not isinstance(store, PostgresStore):
        raise InputError("roles exist only on a shared PostgreSQL database: pass --db postgresql://owner@host/dbname")
    try:
        return _init_roles(store, members or {})
    except NotAllowedError as exc:
        raise NotAllowedError(f"{exc}. init-roles must run as the database's owner with the CREATEROLE attribute "
                              "(ALTER ROLE owner CREATEROLE) or as the postgres superuser") from None


def _init_roles(store: PostgresStore, members: dict[str, Role]) -> list[str]:
    done: list[str] = []
    with store.transaction() as db:
        for role in Role:
            exists = db.execute("SELECT 1 FROM pg_roles WHERE rolname = ?", (role.database_role,)).fetchone()
            if exists is None:
                db.execute(f"CREATE ROLE {role.database_role} NOLOGIN")
                done.append(f"created role {role.database_role} ({role.value})")
        for statement in (s.strip() for s in _GRANTS.split(";") if s.strip()):
            db.execute(statement)
        done.append("granted: everyone reads and issues GFEs; billing also keeps claim-file mappings; "
                    "manager also changes contracts, practice settings and the charge master and purges old GFEs")
        for login, role in members.items():
            if not _LOGIN_NAME.match(login):
                raise InputError(f"{login!r} is not a PostgreSQL login name (lower-case letters, digits, _ . -)")
            if db.execute("SELECT 1 FROM pg_roles WHERE rolname = ?", (login,)).fetchone() is None:
                raise InputError(f"no login {login!r} on the server; create it first: "
                                 f"CREATE ROLE \"{login}\" LOGIN PASSWORD '...'")
            for other in Role:
                db.execute(f'REVOKE {other.database_role} FROM "{login}"')
            db.execute(f'GRANT {role.database_role} TO "{login}"')
            done.append(f"{login} is now {role.value}")
        store.audit(db, "roles initialised", ", ".join(f"{k}={v.value}" for k, v in members.items()) or "-")
    return done
