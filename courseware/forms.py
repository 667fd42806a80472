from django import forms

from courseware.roster import MAX_BYTES


class RosterUploadForm(forms.Form):
    roster = forms.FileField(
        label="Roster CSV",
        help_text="Columns: username, email, full name, role (student, ta or instructor). "
                  "Existing accounts are updated; nobody is removed.",
    )

    def clean_roster(self):
        upload = self.cleaned_data["roster"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_BYTES // 1024 // 1024} MiB.")
        return upload


class AnswerFormError(ValueError):
    """The posted form does not make an answer of the question's shape (a 400)."""


def _one(data, key: str, what: str) -> str:
    values = data.getlist(key)
    if not values or not values[0].strip():
        raise AnswerFormError(f"{what} first")
    if len(values) > 1:
        raise AnswerFormError(f"give one value for '{key}'")
    return _printable(values[0])


def _printable(text: str) -> str:
    # PostgreSQL's JSON cannot store NUL, and no answer needs control characters besides line breaks and tabs.
    if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        raise AnswerFormError("the answer contains control characters")
    return text


def answer_attempt(data) -> int:
    raw = data.get("attempt", "")
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise AnswerFormError("the form names no valid attempt; reload the page")
    return int(raw)


def answer_payload(view: dict, data) -> object:
    """The quiz engine's answer payload from a posted form, for the question's public view.

    Field names: `answer` (one value, or several checkboxes for multiple choice),
    `order-<item id>` = position 1..n for ordering, `match-<pair id>` = choice id for matching.
    Ids are checked by the engine; this only rejects forms that name things the question does not have.
    """
    kind = view["type"]
    if kind in {"single_choice", "numeric", "short_text", "reflection", "simulator"}:
        what = {"single_choice": "choose an option", "reflection": "write your reflection"}.get(kind, "type an answer")
        return _one(data, "answer", what)
    if kind == "multiple_choice":
        picked = data.getlist("answer")
        if not picked:
            raise AnswerFormError("choose at least one option")
        return [_printable(p) for p in picked]
    if kind == "ordering":
        return _ordering(view, data)
    if kind == "matching":
        return _matching(view, data)
    raise AnswerFormError(f"unknown question type {kind}")


def _extra_keys(data, prefix: str, known: set[str]) -> None:
    extra = sorted(k for k in data if k.startswith(prefix) and k[len(prefix):] not in known)
    if extra:
        raise AnswerFormError(f"unknown item(s): {', '.join(e[len(prefix):][:20] for e in extra[:5])}")


def _ordering(view: dict, data) -> list[str]:
    ids = [item["id"] for item in view["items"]]
    _extra_keys(data, "order-", set(ids))
    positions: dict[str, int] = {}
    for item_id in ids:
        raw = _one(data, f"order-{item_id}", "give every step a position")
        if not raw.isdigit() or not 1 <= int(raw) <= len(ids):
            raise AnswerFormError(f"positions are numbers from 1 to {len(ids)}")
        positions[item_id] = int(raw)
    if len(set(positions.values())) != len(ids):
        raise AnswerFormError("give every step a different position")
    return sorted(ids, key=positions.__getitem__)


def _matching(view: dict, data) -> dict[str, str]:
    ids = [pair["id"] for pair in view["pairs"]]
    _extra_keys(data, "match-", set(ids))
    return {pair_id: _one(data, f"match-{pair_id}", "match every item") for pair_id in ids}


class CommentForm(forms.Form):
    text = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
