"""Masking personal data for lists and channel answers (the way Chinese systems show it): ID numbers keep the area
code and last 4, mobiles the first 3 and last 4, names the first character; None passes through, short values are
hidden entirely, and masking never changes the length."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.masking import mask_id_number, mask_name, mask_phone


@pytest.mark.unit
@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("130102195808121234", "130102********1234"),
        ("11010519491231002X", "110105********002X"),
        ("130104580812103", "130**********03"),  # legacy 15-digit number: first 3, last 2
        ("1301045808121", "130********21"),
        ("123456", "123*56"),
        ("12345", "*****"),  # too short to keep 3 + 2 and hide anything
        ("1", "*"),
        ("", ""),
    ],
)
def test_id_number_keeps_area_and_last_4_of_18_else_first_3_and_last_2(value: str, masked: str) -> None:
    """ID number masking: 18 characters keep the first 6 and last 4; other lengths the first 3 and last 2."""
    assert mask_id_number(value) == masked


@pytest.mark.unit
@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("18900001111", "189****1111"),
        ("0311-86012345", "*********2345"),  # landline: only the last 4
        ("03118601234", "*******1234"),  # 11 digits but not a mobile (no leading 1)
        ("+8613812345678", "**********5678"),
        ("86012345", "****2345"),
        ("12345", "*2345"),
        ("5678", "****"),  # nothing left to hide behind: hidden entirely
        ("", ""),
    ],
)
def test_phone_keeps_3_and_4_of_a_mobile_else_only_the_last_4(value: str, masked: str) -> None:
    """Phone masking: an 11-digit mobile keeps 3 + last 4 (138****5678); any other number only its last 4."""
    assert mask_phone(value) == masked


@pytest.mark.unit
@pytest.mark.parametrize(
    ("value", "masked"),
    [("王建军", "王**"), ("李娜", "李*"), ("欧阳娜娜", "欧***"), ("王", "王"), ("", "")],
)
def test_name_keeps_the_first_character(value: str, masked: str) -> None:
    """Name masking: the first character (the surname, or the first of a compound one) stays, the rest is *."""
    assert mask_name(value) == masked


@pytest.mark.unit
def test_none_passes_through_every_mask() -> None:
    """None in, None out: optional columns are masked without a check at each call site."""
    assert mask_id_number(None) is None
    assert mask_phone(None) is None
    assert mask_name(None) is None


@pytest.mark.unit
@given(value=st.text(max_size=30))
def test_masking_keeps_the_length_and_shows_at_most_the_kept_ends(value: str) -> None:
    """Any value: masks keep the length (layouts stay aligned) and reveal no more characters than their rule keeps."""
    for mask, most_kept in ((mask_id_number, 10), (mask_phone, 7), (mask_name, 1)):
        masked = mask(value)
        assert masked is not None
        assert len(masked) == len(value)
        revealed = sum(1 for original, shown in zip(value, masked, strict=True) if shown == original != "*")
        assert revealed <= most_kept
