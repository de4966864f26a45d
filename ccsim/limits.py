"""What input ccsim accepts: the bounds the engines can honour, the rules for names, and how a bad value is
shown in an error. Scenario fields use these (ccsim.config); so do the file readers and the cross-field checks.
"""
from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from .distributions import not_a_boolean
from .errors import ScenarioError

# --------------------------------------------------------------------------- limits
DAY = 86400.0
#: the horizon: arrivals happen in [0, horizon), at most a bit more than a year
MAX_HORIZON = 400 * DAY
#: staffing and volume intervals: at least a minute, at most this many in the horizon
MIN_INTERVAL, MAX_INTERVALS = 60.0, 100_000
#: expected first contacts of one replication (all call types, surges included, busyness at 1)
MAX_FIRST_CONTACTS = 10**8
#: agents of one group in one interval (after staffing_scale), and of all groups at their peaks
MAX_AGENTS, MAX_TOTAL_AGENTS = 100_000, 1_000_000
#: group x interval staffing cells (the engines keep agent time per group and interval)
MAX_STAFFING_CELLS = 10**7
#: skills, queues, groups and call types (each); needs of one caller; rows of a needs table, surges, deflections
MAX_NAMES, MAX_NEEDS, MAX_ROWS = 256, 16, 100
#: needs a contact may gain from post-service routing tables (bounds a table that sends callers round in circles)
MAX_AFTER_SERVICE = 3
#: contacts per caller (the numba engine keeps at most 63)
MAX_ATTEMPTS = 50
#: virtual hold: the queue position from which a callback is offered, and the agent's retries of an unanswered callback
MAX_CALLBACK_POSITION, MAX_CALLBACK_RETRIES = 1_000_000, MAX_ATTEMPTS
#: menu levels of the IVR
MAX_IVR_LEVELS = 100
#: a group's talk-speed factor for a skill
MIN_SPEED, MAX_SPEED = 1e-3, 1e3
#: multipliers: a surge's volume multiplier, design.resolution_factor and design.staffing_scale
MAX_MULTIPLIER = 1000.0
#: day-level busyness cv: 0 (none) or between MIN_CV and this
MAX_BUSYNESS_CV = 1.0
#: money per agent-hour
MAX_COST_PER_HOUR = 1e6
#: characters of a scenario description and of a design name
MAX_DESCRIPTION, MAX_DESIGN_NAME = 10_000, 128
#: bytes of a scenario, demand, design or sweep file
MAX_FILE_BYTES = 20 * 2**20
#: characters of a bad value echoed in an error message
MAX_SHOWN = 60

Int = Annotated[int, BeforeValidator(not_a_boolean)]
#: agents of a group in an interval
Agents = Annotated[int, BeforeValidator(not_a_boolean), Field(ge=0, le=MAX_AGENTS)]
Prob = Annotated[float, BeforeValidator(not_a_boolean), Field(ge=0.0, le=1.0)]
#: a time within the run (horizon, warm-up, drain)
RunTime = Annotated[float, BeforeValidator(not_a_boolean), Field(ge=0, le=MAX_HORIZON)]


# --------------------------------------------------------------------------- names
#: skills, queues, groups and call types name nodes of the journey chart (``flow:source|target``) and columns
#: (``occupancy[group]``): no separator, no control character
BAD_LABEL = re.compile(r"[|:\x00-\x1f\x7f-\x9f\u2028\u2029]")
MAX_LABEL = 128
LABEL_RULE = (f"names of skills, queues, groups and call types have 1 to {MAX_LABEL} characters and no '|', ':' "
              "or control character")


def clip(text: str, n: int = MAX_SHOWN) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def shown(value: Any) -> str:
    """``repr(value)`` cut to :data:`MAX_SHOWN` characters, for error messages (never the whole of a huge value)."""
    if isinstance(value, (str, bytes)) and len(value) > 4 * MAX_SHOWN:
        value = value[: 4 * MAX_SHOWN]  # enough to show, without copying a huge value
    elif isinstance(value, (list, tuple, dict)):
        return f"a {type(value).__name__} of {len(value)} item(s)"
    try:
        text = repr(value)
    except ValueError:  # an integer too long to print
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    return clip(text)


NOT_A_LABEL = "not a valid name"


def check_label(name: Any) -> str:
    """``name`` if it follows :data:`LABEL_RULE` (used for every name of a skill, queue, group or call type)."""
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_LABEL or BAD_LABEL.search(name):
        raise ValueError(NOT_A_LABEL)
    return name


#: the name of a skill, queue, group or call type, wherever it is given or referred to
Label = Annotated[str, AfterValidator(check_label)]


def plain_text(v: str) -> str:
    """Free text (descriptions, design names): no NUL or control character other than tab and line ends."""
    bad = re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", v)
    if bad:
        raise ValueError(f"contains the control character {bad.group()!r} at position {bad.start()}")
    return v


# unions of a value and a list (or a table) are picked by the input's shape, so that an error comes from the
# member the user meant; their tags start with ':', which no name has, so error locations can drop them
def shape_tag(v: Any) -> str:
    """A table, or a list holding tables (needs tables, speed tables), or any other list."""
    table = (dict, BaseModel)  # validating a dict, or serializing a validated model
    return ":table" if isinstance(v, table) or (isinstance(v, list) and any(isinstance(x, table) for x in v)) else ":list"


def value_or_list_tag(v: Any) -> str:
    return ":list" if isinstance(v, list) else ":value"


UNION_TAGS = {":table", ":list", ":value"}


# --------------------------------------------------------------------------- names that become paths
#: scenario and sweep names become folder and file names: letters, digits and a few marks, no path
SAFE_NAME = re.compile(r"^\w[\w .+-]{0,127}$")
NAME_RULE = "use letters, digits, spaces, '.', '_', '+' and '-' (at most 128, starting with a letter or digit)"


def is_folder_name(name: Any) -> bool:
    """True when ``name`` is safe as a folder or file name (no separator, no '..', no control character)."""
    return isinstance(name, str) and bool(SAFE_NAME.fullmatch(name)) and not name.endswith((" ", "."))


def check_name(field: str, name: Any) -> str:
    """``name`` if :func:`is_folder_name`, else one ScenarioError naming ``field``."""
    if not is_folder_name(name):
        raise ScenarioError(field, f"{shown(name)} cannot be used as a folder name", NAME_RULE)
    return name


def safe_name(text: str) -> str:
    """A usable name made from any text (a file's stem): unsafe characters become '_'."""
    name = re.sub(r"[^\w .+-]", "_", text)[:128].strip(" .") or "scenario"
    return name if SAFE_NAME.fullmatch(name) else "_" + name[:127]




class StrictModel(BaseModel):
    """The base of every scenario model: unknown fields, infinities and NaNs are refused."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False, allow_inf_nan=False)
