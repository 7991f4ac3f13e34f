"""Build benchmark tables from pseudopeople's simulated US population (run in ``.venv-peers``).

pseudopeople (IHME, BSD-3-Clause; https://github.com/ihmeuw/pseudopeople) simulates the people of
a fictional US town and the forms they fill in, each form with its own noise: typos, nicknames,
OCR and phonetic errors, names copied from a household member, wrong digits, missing fields.
Neither we nor the peers wrote it. Its sample data (one town, ``Anytown, WA``, about 10,000
people in 4,000 households) is shipped inside the package, so no download is needed.

``census_tax``: the 2020 census (a record per person, families at one address) with the 2020 W-2
and 1099 forms (a record per job, at the mailing address) and the ACS and CPS survey rows: names
and addresses only, no dates of birth, no SSNs. Truth is pseudopeople's ``simulant_id``.

    .venv-peers/bin/python benchmarks/pseudopeople_sets.py OUT.csv
"""

from __future__ import annotations

import sys
import warnings

import pandas as pd
import pseudopeople as psp

FIELDS = ["first_name", "last_name", "house_number", "street_name", "unit", "city", "state", "zip"]


def _people(frame: pd.DataFrame, form: str, prefix: str = "") -> pd.DataFrame:
    def col(name: str, at: str = prefix) -> pd.Series:
        if at + name not in frame:
            return pd.Series("", index=frame.index)
        return frame[at + name].astype(object).where(frame[at + name].notna(), "").astype(str)

    street = col("street_name")
    if prefix and "mailing_address_po_box" in frame:  # a PO box stands in for the street
        box = col("po_box").str.replace(r"\.0$", "", regex=True)
        street = street.where((street != "") | (box == ""), "po box " + box)
    out = pd.DataFrame(
        {
            "truth": frame["simulant_id"].astype(str),
            "household": frame["household_id"].astype(str),
            "first_name": col("first_name", ""),
            "last_name": col("last_name", ""),
            "house_number": col("street_number"),
            "street_name": street,
            "unit": col("unit_number"),
            "city": col("city"),
            "state": col("state"),
            "zip": col("zipcode"),
        }
    )
    out.insert(0, "id", [f"{form}-{i}" for i in range(len(out))])
    return out


def census_tax() -> pd.DataFrame:
    warnings.filterwarnings("ignore")
    forms = [
        _people(psp.generate_decennial_census(verbose=False), "census"),
        _people(psp.generate_american_community_survey(verbose=False), "acs"),
        _people(psp.generate_current_population_survey(verbose=False), "cps"),
        _people(psp.generate_taxes_w2_and_1099(verbose=False), "w2", prefix="mailing_address_"),
    ]
    table = pd.concat(forms, ignore_index=True)
    return table


if __name__ == "__main__":
    census_tax().to_csv(sys.argv[1], index=False)
