"""A stand-in for the Spotify for Creators API: a fictional show served over HTTP on loopback.

The tests run the real client against it, and a new user can watch the pipeline work before
pasting a cookie: ``python -m anchor_assets.sandbox --port 8765``.
"""

from anchor_assets.sandbox.server import SANDBOX_COOKIE, RecordedRequest, SandboxServer
from anchor_assets.sandbox.show import SANDBOX_STATION_ID, SANDBOX_WEBSTATION_ID, FictionalShow

__all__ = [
    "SANDBOX_COOKIE",
    "SANDBOX_STATION_ID",
    "SANDBOX_WEBSTATION_ID",
    "FictionalShow",
    "RecordedRequest",
    "SandboxServer",
]
