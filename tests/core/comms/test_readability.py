"""Readability figures: syllables, sentences and the published Flesch formulas."""

import pytest

from core.comms import readability


@pytest.mark.parametrize("word, expected", [("the", 1), ("time", 1), ("table", 2), ("people", 2),
                                            ("beautiful", 3), ("wanted", 2), ("annotation", 4), ("agreement", 3)])
def test_syllable_heuristic_counts_vowel_groups_minus_silent_e(word, expected):
    assert readability.syllables(word) == expected


def test_flesch_figures_follow_the_published_formulas():
    # 100 words, 5 sentences, 130 syllables: 206.835 - 1.015*20 - 84.6*1.3 = 76.555; 0.39*20 + 11.8*1.3 - 15.59 = 7.55
    assert readability.flesch_reading_ease(100, 5, 130) == pytest.approx(76.555)
    assert readability.fk_grade(100, 5, 130) == pytest.approx(7.55)


@pytest.mark.parametrize("share, target", [(0.0, 8), (0.24, 8), (0.25, 7), (0.49, 7), (0.5, 6), (0.9, 6)])
def test_target_grade_drops_when_many_read_english_as_a_second_language(share, target):
    assert readability.target_grade(share) == target


def test_list_items_and_headings_count_as_their_own_sentences():
    sentences = readability.split_sentences("# Title\n\n- first item\n- second item\nOne. Two, e.g. three.")
    assert [s.text for s in sentences] == ["Title", "first item", "second item", "One.", "Two, e.g. three."]
