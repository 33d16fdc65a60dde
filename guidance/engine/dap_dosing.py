"""Amifampridine (3,4-DAP) dosing as its labels give it: the figures of DESIGN.md §4
"3,4-DAP dosing" (local content, citations 17 and 18), shown in the dose box beside the IVIG
and prednisone doses when the statement `dap-titration` applies.

Pure Python, no Django. The dose is the same for every adult (the labels dose adults of any
weight alike), so nothing here reads the patient's answers: the pathway decides when it
applies, this says what the labels say.
"""

# FIRDAPSE US prescribing information, revised 5/2024 (citation 17): section 2.1, Table 1,
# adults of any weight; renal and hepatic impairment start at the lowest initial dose.
US_LABEL = {
    "start_mg_a_day": (15, 30),
    "divided_doses": (3, 5),
    "raise_mg_a_day": 5,
    "raise_every_days": (3, 4),
    "max_single_mg": 20,
    "max_mg_a_day": 100,
}
# Firdapse EU summary of product characteristics (citation 18): 15 mg a day, 5 mg steps
# every 4 to 5 days, at most 60 mg a day; 80 mg a day in exceptional cases (the Swiss text);
# no single dose over 20 mg.
EU_LABEL = {
    "start_mg_a_day": (15, 15),
    "raise_mg_a_day": 5,
    "raise_every_days": (4, 5),
    "max_single_mg": 20,
    "max_mg_a_day": 60,
    "exceptional_max_mg_a_day": 80,
}


def dap_dose() -> dict:
    """The labels' figures for amifampridine in adults::

        {"us": US_LABEL's figures, "eu": EU_LABEL's figures,
         "renal_or_hepatic_impairment": "lowest_start",
         "after_seizures": "do_not_use"}

    A new dict each call (of tuples and numbers), so a caller may keep or change it.
    """
    return {
        "us": dict(US_LABEL),
        "eu": dict(EU_LABEL),
        "renal_or_hepatic_impairment": "lowest_start",
        "after_seizures": "do_not_use",
    }


def _span(pair, unit=""):
    low, high = pair
    return f"{low}{unit}" if low == high else f"{low}-{high}{unit}"


def dap_dose_lines(dap: dict) -> list[str]:
    """`dap_dose()`'s figures in the dose box's words, US label first and the EU label in
    brackets, one short line each (plain text, so a snapshot keeps them as shown; lists
    from a JSON snapshot read alike)."""
    us, eu = dap["us"], dap["eu"]
    return [
        f"start {_span(us['start_mg_a_day'])} mg a day in {_span(us['divided_doses'])} "
        f"divided doses (EU: {_span(eu['start_mg_a_day'])} mg a day);",
        f"raise by {us['raise_mg_a_day']} mg a day every {_span(us['raise_every_days'])} days "
        f"(EU: {_span(eu['raise_every_days'])}) as response and tolerance allow;",
        f"at most {us['max_single_mg']} mg a dose and {us['max_mg_a_day']} mg a day "
        f"(EU: {eu['max_mg_a_day']} mg, {eu['exceptional_max_mg_a_day']} mg in exceptional "
        "cases).",
        "Renal or hepatic impairment: start at the lowest dose.",
        "Contraindicated after seizures.",
    ]
