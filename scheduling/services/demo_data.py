"""The demo shop's fixture tables: calendars, work centers, product families with their routing
templates, customers, staff users and the sizes of the open book and of the history. The seeder
that writes them is scheduling/services/demo.py."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from orders.models import Profile

SHOP_TZ = ZoneInfo("Europe/Berlin")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def _weekly(
    windows: list[list[str]], days: tuple[str, ...] = WEEKDAYS
) -> dict[str, list[list[str]]]:
    return {
        day: [list(w) for w in windows] if day in days else []
        for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }


CALENDARS = {
    "berlin-1shift": (
        "One shift (06:00-14:00), Mon-Fri",
        "Europe/Berlin",
        _weekly([["06:00", "14:00"]]),
    ),
    "berlin-2shift": (
        "Two shifts (06:00-22:00), Mon-Fri",
        "Europe/Berlin",
        _weekly([["06:00", "14:00"], ["14:00", "22:00"]]),
    ),
    "utc-24x7": (
        "Around the clock (subcontractor)",
        "UTC",
        _weekly([["00:00", "24:00"]], ("mon", "tue", "wed", "thu", "fri", "sat", "sun")),
    ),
}

# code, name, capacity, calendar
WORK_CENTERS = [
    ("SAW-1", "Band saw", 1, "berlin-1shift"),
    ("LATHE-1", "CNC lathe, twin spindle", 2, "berlin-2shift"),
    ("LATHE-2", "CNC lathe", 1, "berlin-2shift"),
    ("MILL-1", "5-axis machining center", 1, "berlin-2shift"),
    ("MILL-2", "Vertical mill", 1, "berlin-1shift"),
    ("DRILL-1", "Radial drill", 1, "berlin-1shift"),
    ("HONE-1", "Honing machine", 1, "berlin-2shift"),
    ("WELD-1", "Welding cell", 1, "berlin-1shift"),
    ("HEAT-1", "Heat treatment (subcontracted)", 4, "utc-24x7"),
    ("DEBURR-1", "Deburr and wash", 2, "berlin-1shift"),
    ("ASSY-1", "Assembly", 2, "berlin-2shift"),
    ("TEST-1", "Hydraulic test bench", 1, "berlin-1shift"),
    ("PAINT-1", "Paint line", 1, "berlin-1shift"),
    ("PACK-1", "Packing", 1, "berlin-1shift"),
]

# family: (code prefix, names, routing template: (step name, work centers, setup, run per unit))
FAMILIES: dict[str, tuple[str, list[str], list[tuple[str, tuple[str, ...], int, str]]]] = {
    "cylinder": (
        "CYL",
        [
            "Tie-rod cylinder 40/22x200",
            "Tie-rod cylinder 50/28x300",
            "Tie-rod cylinder 63/36x400",
            "Welded cylinder 80/45x500",
            "Welded cylinder 100/56x600",
            "Telescopic cylinder 3-stage",
            "Compact cylinder 32/16x50",
            "Mill-type cylinder 125/70x800",
            "Clamping cylinder 25/12x30",
            "Steering cylinder 40/25x250",
        ],
        [
            ("Cut tube and rod", ("SAW-1",), 20, "1.5"),
            ("Turn rod and glands", ("LATHE-1", "LATHE-2"), 45, "6"),
            ("Hone tube", ("HONE-1",), 30, "5"),
            ("Weld mounts", ("WELD-1",), 40, "8"),
            ("Deburr and wash", ("DEBURR-1",), 10, "2"),
            ("Assemble", ("ASSY-1",), 20, "9"),
            ("Pressure test", ("TEST-1",), 15, "2"),
            ("Paint", ("PAINT-1",), 25, "3"),
        ],
    ),
    "pump": (
        "PMP",
        [
            "Gear pump 8 cc",
            "Gear pump 16 cc",
            "Gear pump 25 cc",
            "Axial piston pump 45 cc",
            "Axial piston pump 71 cc",
            "Vane pump 20 cc",
            "Hand pump 12 cc",
        ],
        [
            ("Turn housing", ("LATHE-1", "LATHE-2"), 40, "7"),
            ("Mill housing", ("MILL-1",), 60, "9"),
            ("Harden gears", ("HEAT-1",), 60, "2"),
            ("Hone bores", ("HONE-1",), 25, "4"),
            ("Assemble", ("ASSY-1",), 30, "12"),
            ("Performance test", ("TEST-1",), 20, "3"),
            ("Pack", ("PACK-1",), 10, "1"),
        ],
    ),
    "valve": (
        "VLV",
        [
            "Check valve G1/2",
            "Pressure relief valve 350 bar",
            "Directional valve NG6",
            "Directional valve NG10",
            "Flow control valve",
            "Counterbalance valve",
            "Shuttle valve",
        ],
        [
            ("Cut bar", ("SAW-1",), 15, "0.5"),
            ("Turn body", ("LATHE-1", "LATHE-2"), 35, "4"),
            ("Cross drill", ("DRILL-1", "MILL-2"), 25, "3"),
            ("Deburr and wash", ("DEBURR-1",), 10, "1"),
            ("Assemble", ("ASSY-1",), 15, "5"),
            ("Function test", ("TEST-1",), 10, "1.5"),
        ],
    ),
    "manifold": (
        "MAN",
        [
            "Manifold block 2-station",
            "Manifold block 4-station",
            "Manifold block 6-station",
            "Custom manifold (steel)",
            "Custom manifold (aluminium)",
            "Cartridge block",
        ],
        [
            ("Saw block", ("SAW-1",), 15, "2"),
            ("Mill faces and ports", ("MILL-1", "MILL-2"), 60, "14"),
            ("Deep-hole drill", ("DRILL-1",), 30, "8"),
            ("Deburr and wash", ("DEBURR-1",), 10, "3"),
            ("Pack", ("PACK-1",), 10, "1"),
        ],
    ),
}

# code, name, buffer days (how much safety this customer's orders carry)
CUSTOMERS = [
    ("ACME", "Acme Agricultural Machines", 2),
    ("BOLT", "Bolt Construction Equipment", 1),
    ("CRANEX", "Cranex Lifting Systems", 2),
    ("DELTA", "Delta Forestry", 1),
    ("EMERALD", "Emerald Marine Winches", 3),
    ("FORGE", "Forge Press Works", 2),
    ("GRIP", "Grip Material Handling", 1),
    ("HALDEN", "Halden Mining Supply", 3),
    ("IRONCO", "Ironco Steel Mills", 2),
    ("JUNO", "Juno Aerial Platforms", 1),
    ("KESTREL", "Kestrel Snow Groomers", 2),
    ("LUMEN", "Lumen Solar Trackers", 1),
    ("MAGNA", "Magna Tunnelling", 3),
    ("NORDLIFT", "Nordlift Forklifts", 1),
    ("ORBIT", "Orbit Stage Machinery", 2),
    ("PIVOT", "Pivot Irrigation", 1),
    ("QUARRY", "Quarry Tech Crushers", 2),
    ("RIVET", "Rivet Rail Maintenance", 1),
    ("SUMMIT", "Summit Ski Lifts", 2),
    ("TITAN", "Titan Recycling Balers", 1),
]

STAFF_USERS = [
    ("sales", "Sam", "Sales", Profile.Role.SALES),
    ("scheduler", "Sky", "Scheduler", Profile.Role.SCHEDULER),
    ("manager", "Mo", "Manager", Profile.Role.MANAGER),
]

ORDER_COUNT = 150
# Delivered orders (history for the dashboard): how many, over how many past weeks, and how
# many of them were delivered late / re-promised (then delivered by the new date).
DELIVERED_COUNT = 100
HISTORY_DAYS = 70
DELIVERED_LATE = 11
DELIVERED_REPROMISED = 8
# Orders with operations already on the floor: (order index, done steps, running step).
ON_THE_FLOOR = 6
