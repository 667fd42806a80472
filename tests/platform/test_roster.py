"""Roster import: all or nothing, line numbers in every complaint, nobody deleted."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from courseware.models import Membership
from courseware.roster import RosterError, roster_import

HEADER = "username,email,full name,role\n"


def test_a_roster_creates_new_accounts_and_updates_existing_ones(personas):
    csv = HEADER + "zoe,zoe@example.edu,Zoe Quinn,student\nbob,bob.new@example.edu,Bob Builder,ta\n"

    result = roster_import(personas["ops3"], csv)

    assert (result.created, result.updated) == (["zoe"], ["bob"])
    bob = Membership.objects.get(user__username="bob", course=personas["ops3"])
    assert (bob.role, bob.user.email, bob.user.last_name) == ("ta", "bob.new@example.edu", "Builder")
    assert not Membership.objects.get(user__username="zoe").user.has_usable_password()


def test_members_missing_from_the_roster_are_kept(personas):
    roster_import(personas["ops3"], HEADER + "zoe,zoe@example.edu,Zoe Quinn,student\n")

    assert set(personas["ops3"].memberships.values_list("user__username", flat=True)) == {
        "alice", "bob", "terry", "ingrid", "zoe"}


def test_a_bad_row_is_reported_with_its_line_and_nothing_is_imported(personas):
    csv = (HEADER + "zoe,zoe@example.edu,Zoe Quinn,student\n"
           "bad user!,x@example.edu,X,student\nyan,not-an-email,Yan,student\nkim,kim@example.edu,Kim,wizard\n")

    with pytest.raises(RosterError) as caught:
        roster_import(personas["ops3"], csv)

    assert [p.split(":")[0] for p in caught.value.problems] == ["line 3", "line 4", "line 5"]
    assert "wizard" in caught.value.problems[2]
    assert not Membership.objects.filter(user__username="zoe").exists()


@pytest.mark.parametrize("data,fragment", [
    (b"", "empty"),
    (b"user,mail\nx,y\n", "header lacks"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (HEADER + "zoe,zoe@example.edu,Zoe,student\nZOE,z2@example.edu,Zoe,student\n", "already appears on line 2"),
])
def test_malformed_files_are_refused_with_a_clear_reason(personas, data, fragment):
    with pytest.raises(RosterError) as caught:
        roster_import(personas["ops3"], data)

    assert fragment in str(caught.value)


def test_an_instructor_cannot_change_their_own_role_by_roster(personas):
    with pytest.raises(RosterError, match="your own role"):
        roster_import(personas["ops3"], HEADER + "ingrid,ingrid@example.edu,Ingrid I,student\n",
                      actor=personas["ingrid"])


def test_the_management_command_imports_a_file(personas, tmp_path, capsys):
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + "zoe,zoe@example.edu,Zoe Quinn,student\n")

    call_command("import_roster", "ops3", str(path))

    assert "1 created" in capsys.readouterr().out
    assert Membership.objects.filter(user__username="zoe", course=personas["ops3"]).exists()


def test_the_management_command_names_the_line_of_a_bad_row(personas, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + "zoe,zoe@example.edu,Zoe Quinn,overlord\n")

    with pytest.raises(CommandError, match="line 2: role 'overlord'"):
        call_command("import_roster", "ops3", str(path))


def test_the_management_command_refuses_an_unknown_course(personas, tmp_path):
    with pytest.raises(CommandError, match="no course with slug 'nope'"):
        call_command("import_roster", "nope", str(tmp_path / "missing.csv"))


def test_the_roster_page_shows_line_numbered_problems_and_imports_nothing(client, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(personas["ingrid"])
    upload = SimpleUploadedFile("r.csv", (HEADER + "zoe,zoe@example.edu,Zoe,student\nq,bad,Q,student\n").encode())

    response = client.post("/courses/ops3/instructor/roster/", {"roster": upload})

    assert response.status_code == 400
    assert "line 3: email &#x27;bad&#x27; is not a valid address" in response.content.decode()
    assert not Membership.objects.filter(user__username="zoe").exists()
