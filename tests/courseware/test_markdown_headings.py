"""Markdown shown under a page's own headings is demoted, so a page keeps a single h1."""

from courseware.markdown import render_markdown


def test_headings_keep_their_level_by_default():
    assert "<h1>Lab 1</h1>" in render_markdown("# Lab 1\n\ntext")


def test_a_heading_offset_demotes_every_heading_and_stops_at_h6():
    html = render_markdown("# Lab 1\n\n## Step\n\n##### Deep", heading_offset=2)

    assert "<h1" not in html
    assert ">Lab 1</h3>" in html and ">Step</h4>" in html and "<h6>Deep</h6>" in html
