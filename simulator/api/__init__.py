"""The Proxmox VE REST API of a simulated cluster (`/api2/json/...`).

`PveApi(cluster)(method, path, params, token) -> (status, reason, body)`
answers like pveproxy (see handler.py); `server.py` serves the same
handler over HTTPS (`python -m simulator serve`). Pure Python, never
imports Django. Endpoints, auth and faults: docs/api.md.
"""

from simulator.api.auth import AUDIT, ROLES, Token, make_token, parse_token_spec
from simulator.api.errors import ApiError
from simulator.api.ha_source import register_ha_env
from simulator.api.handler import PveApi, handle
from simulator.api.settings import ApiSettings, settings_of, store

__all__ = ["AUDIT", "ROLES", "ApiError", "ApiSettings", "PveApi", "Token", "handle", "make_token",
           "parse_token_spec", "register_ha_env", "settings_of", "store"]
