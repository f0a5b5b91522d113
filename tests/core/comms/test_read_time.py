"""A guide's read time comes from its length: an imported `words` column, kept as an attribute of the resource."""

import math

import pandas as pd
import pytest

from core import models
from core.comms import launch, templates
from core.ingest import importer as ingest
from tests.core.factories import stored

NOW = pd.Timestamp("2026-11-20 12:00", tz="UTC")
GUIDES = ("resource_id,title,kind,project_id,status,last_reviewed_at,url,words\n"
          "g1,Atlas Guidelines,guide,p1,published,2026-11-10,https://guides.example/atlas,1150\n"
          "g2,Birch Guidelines,guide,p2,published,2026-11-10,https://guides.example/birch,\n"
          "g3,Cedar Guidelines,guide,p3,published,2026-11-10,https://guides.example/cedar,about two pages\n")


@pytest.fixture
def imported(engine):
    """Three guides imported from a file with a `words` column: 1,150 words, blank, and not a number."""
    stored(engine, *(models.Project(project_id=pid, name=name, attributes={})
                     for pid, name in (("p1", "Atlas"), ("p2", "Birch"), ("p3", "Cedar"))))
    result = ingest.import_file(engine, "resources", GUIDES.encode(), filename="guides.csv")
    assert result.committed and result.rejected == 0
    return launch.load_resources(engine)


def test_an_imported_words_column_is_the_guides_length_and_blank_or_unreadable_is_unknown(imported):
    words = imported.set_index("resource_id")["words"]
    assert words["g1"] == 1150.0 and pd.isna(words["g2"]) and pd.isna(words["g3"])


@pytest.mark.parametrize("project_id, minutes", [("p1", 6), ("p2", None), ("p3", None)])
def test_the_read_time_is_the_words_at_200_a_minute_rounded_up_and_nothing_when_unknown(imported, project_id, minutes):
    assert launch.project_guide(imported, project_id, NOW)["read_minutes"] == minutes


@pytest.mark.parametrize("key", ["project_launch", "guideline_update"])
def test_templates_that_link_a_guide_say_how_long_it_takes_to_read_only_when_known(key):
    template = templates.load_templates()[key]
    moment = {"utc": "Friday 27 November 2026, 17:00 UTC", "zones": ["Manila: Saturday 28 November, 01:00"]}
    variables = {"project": {"name": "Atlas", "guideline_version": "v3", "launch": moment}, "deadline": moment,
                 "link": "https://guides.example/atlas", "sender": {"name": "Ana", "team": "Community team"},
                 "audience": {"label": "Atlas taskers", "recipients": 40, "languages": 2, "time_zones": 3}}
    guide = {"title": "Atlas Guidelines", "url": "https://guides.example/atlas", "ready": True, "status": "published"}
    body = templates.render_template(template, variables | {"guide": guide | {"read_minutes": 6}})[1]
    assert "It takes about 6 minutes to read." in body
    assert "minutes to read" not in templates.render_template(template, variables | {"guide": guide | {
        "read_minutes": None}})[1]
    assert "minutes to read" not in templates.render_template(template, variables)[1]


def test_the_demo_guides_have_lengths_except_the_launch_still_being_written(seeded_engine):
    resources = launch.load_resources(seeded_engine)
    guides = resources[resources["kind"] == "guide"].set_index("project_id")["words"]
    assert guides["p01"] == 1150 and guides["p02"] == 1380 and pd.isna(guides["p08"])
    assert launch.project_guide(resources, "p02", NOW)["read_minutes"] == math.ceil(1380 / 200) == 7
    assert launch.project_guide(resources, "p08", NOW)["read_minutes"] is None
