"""The validation table as printed."""


def test_failing_validation_rows_are_explained():
    import pandas as pd

    from autoparticles.molecular.validation import print_table

    table = pd.DataFrame([{"property": "g_OO 1st max height", "unit": "", "reference": 2.54,
                           "learned": 2.95, "tolerance": "±10%", "passed": False},
                          {"property": "mean O–H distance", "unit": "Å", "reference": 0.970,
                           "learned": 0.971, "tolerance": "±0.01", "passed": True}])
    text = print_table(table)
    assert "1/2 rows pass; failing: g_OO 1st max height 2.95 vs 2.54" in text
    assert "What is known" in text and "over-structured" in text and "water ensemble" in text
