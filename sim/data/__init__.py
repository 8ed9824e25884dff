"""Readers of public data formats: Toronto's shelter data and HUD's counts and beds.

Each reader gives a tidy pandas table with typed columns and rejects a malformed copy
with :class:`DataFileError` (a ScenarioError, so the command line exits with code 2).
``sim.data.targets`` turns the tables into calibration targets and bed schedules.
The project ships these readers, never the data.
"""

from sim.data.errors import DataFileError
from sim.data.hud import read_hic, read_pit
from sim.data.toronto import (
    read_flow,
    read_occupancy,
    read_occupancy_by_sector,
    read_service_users,
    stock_flow_residual,
)

__all__ = [
    "DataFileError",
    "read_flow",
    "read_hic",
    "read_occupancy",
    "read_occupancy_by_sector",
    "read_pit",
    "read_service_users",
    "stock_flow_residual",
]
