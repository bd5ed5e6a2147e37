"""The Gantt SVG is well-formed XML whatever the calendar's labels hold."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin_rules.calendar import Calendar, Deliverable, load_calendar, to_svg
from fupin_rules.calendar.render import xml_attr, xml_text

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "standards" / "town.dynamic-management" / "2018.yaml"
CAL = load_calendar(PLAN)
SVG = "{http://www.w3.org/2000/svg}"

CONTROLS = "".join(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)])
NASTY = "A&B<C>D\"E'F]]>G" + CONTROLS + "\ud800\udbff\udc00\ufffe\uffff" + "H"


def relabel(cal: Calendar, text: str) -> Calendar:
    """The calendar with every label, section, note, title and version holding ``text``."""

    def deliverable(d: Deliverable) -> Deliverable:
        return attrs.evolve(d, label=text, due_text=text)

    nodes = [
        attrs.evolve(
            n,
            label=text,
            section=text,
            deliverables=[deliverable(d) for d in n.deliverables],
        )
        for n in cal.nodes
    ]
    return attrs.evolve(cal, title=text, version=text, nodes=nodes)


def parse(svg: str) -> ET.Element:
    """Parse the SVG as bytes, as a browser or an XML tool would read the file."""
    return ET.fromstring(svg.encode("utf-8"))


def test_every_control_character_still_parses() -> None:
    """A label holding every control character, surrogates and markup is still well-formed."""
    root = parse(to_svg(relabel(CAL, NASTY), today="2018-11-20"))
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    kept = "A&B<C>D\"E'F]]>G\t\n\r\ufffd\ufffd\ufffdH"
    assert kept.replace("\r", "\n") in [t.replace("\r", "\n") for t in texts]
    assert len(list(root.iter(f"{SVG}g"))) == len(CAL.nodes)


def test_each_control_character_alone() -> None:
    """Each control character on its own, in every kind of label, gives parseable XML."""
    for ch in CONTROLS:
        parse(to_svg(relabel(CAL, f"x{ch}y")))


def test_odd_node_ids_in_attributes() -> None:
    """A node id with quotes, markup or controls (built in code) is escaped in its attribute."""
    odd = 'n"<&>\t\n\x01\ud800'
    node = attrs.evolve(CAL.nodes[0], id=odd, parent=None)
    root = parse(to_svg(attrs.evolve(CAL, nodes=[node])))
    (g,) = root.iter(f"{SVG}g")
    assert g.get("id") == 'node-n"<&>\t\n\ufffd'


def test_xml_text_and_attr() -> None:
    """The helpers drop what XML cannot hold and escape the markup characters."""
    assert xml_text("a&b<c>d\x00\x0b\x1f\x7f\x85\ufffe\uffff\ud800e\tf\ng") == (
        "a&amp;b&lt;c&gt;d\ufffde\tf\ng"
    )
    assert xml_attr('"x"\ty\nz\r') == "&quot;x&quot;&#9;y&#10;z&#13;"


@given(st.text(max_size=60), st.sampled_from([None, "2018-11-20", "2018-08-01"]))
@settings(max_examples=150, deadline=None)
def test_any_label_gives_parseable_svg(text: str, today: str | None) -> None:
    """Arbitrary label text (any code point) always gives SVG that xml.etree parses, with the
    label's text kept but for what XML cannot hold."""
    root = parse(to_svg(relabel(CAL, text), today=today))
    title = root.find(f"{SVG}title")
    assert title is not None
    expected = xml_text(text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    normalised = expected.replace("\r\n", "\n").replace("\r", "\n")
    assert (title.text or "").startswith(normalised)
