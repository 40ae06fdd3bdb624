"""What the org-tree endpoints take and give: communities and grids added, listed, renamed
and closed."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from api.schemas import Strict, refusal

CODE = r"^[a-z0-9][a-z0-9-]*$"


class OrgUnitIn(Strict):
    code: str = Field(min_length=1, max_length=40, pattern=CODE, description="e.g. yzs-g8")
    name: str = Field(min_length=1, max_length=100, description="e.g. 燕子山第八网格")
    kind: Literal["community", "grid"] = Field(
        description="a community goes under the street, a grid under a community"
    )
    parent: str = Field(
        min_length=1, max_length=40, description="the code of the street or community above it"
    )


class OrgUnitChange(Strict):
    """Rename (``name``) and/or close (``"closed": true``) the unit; a closed unit is not
    opened again."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    closed: Literal[True] | None = Field(
        default=None, description="true closes the unit: its history stays, it takes nothing new"
    )

    @model_validator(mode="after")
    def _something_to_change(self) -> OrgUnitChange:
        if self.name is None and self.closed is None:
            raise refusal("nothing_to_rename_or_close")
        return self


class OrgUnitOut(BaseModel):
    code: str
    name: str
    kind: str = Field(description="street, community or grid")
    parent: str | None = Field(description="the code of the unit above it (none for the street)")
    path: str = Field(description="the codes from the street down, joined by '/'")
    closed: bool
    closed_at: datetime | None
    closed_by: str | None
    active_volunteers: int = Field(description="active volunteers in the unit and under it")


class OrgUnitList(BaseModel):
    scope: str = Field(description="the path of the caller's own unit (empty: every unit)")
    units: list[OrgUnitOut] = Field(description="the caller's unit and those under it, by path")
