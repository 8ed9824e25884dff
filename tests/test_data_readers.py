"""The readers reproduce the shared real-data files: rows, spans, sums and quirks.

Every figure checked here is exact (integers read from the files). Where the data's own
README states a check, it is reproduced; where the file differs from the README's
wording, the test states what the file holds.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sim.data import (
    hud,
    read_flow,
    read_hic,
    read_occupancy,
    read_occupancy_by_sector,
    read_pit,
    read_service_users,
    stock_flow_residual,
    toronto,
)
from tests.shared_data import data_file

CORE = [
    "All Population",
    "Chronic",
    "Refugees",
    "Non-refugees",
    "Families",
    "Youth",
    "Single Adult",
]


@pytest.fixture(scope="module")
def flow() -> pd.DataFrame:
    return read_flow(data_file("toronto/shelter_system_flow.csv"))


@pytest.fixture(scope="module")
def pit() -> pd.DataFrame:
    return read_pit(data_file("hud/pit_by_coc_2007_2019.csv"))


def _by_group(flow: pd.DataFrame, column: str) -> pd.DataFrame:
    return flow.pivot(index="month", columns="group", values=column)


def test_flow_rows_months_and_groups(flow):
    assert len(flow) == 588
    assert flow["month"].min() == pd.Timestamp("2018-01-01")
    assert flow["month"].max() == pd.Timestamp("2024-06-01")
    months = flow.groupby("group")["month"].agg(["min", "count"])
    for g in CORE:
        assert months.loc[g, "count"] == 78
    assert months.loc["Indigenous", "min"] == pd.Timestamp("2021-01-01")
    assert months.loc["Indigenous", "count"] == 42


def test_flow_columns_are_typed(flow):
    assert str(flow["actively_homeless"].dtype) == "Int64"
    assert str(flow["newly_identified"].dtype) == "Int64"
    assert flow["group_share_pct"].dtype == float
    assert pd.api.types.is_datetime64_any_dtype(flow["month"])
    first = flow[(flow["month"] == "2018-01-01") & (flow["group"] == "Chronic")].iloc[0]
    assert first["actively_homeless"] == 2532 and first["group_share_pct"] == 31.8


def test_refugees_and_non_refugees_add_up_to_everyone(flow):
    counts = [c for c in toronto.FLOW_COUNTS.values()]
    for c in counts:
        t = _by_group(flow, c)
        assert (t["Refugees"] + t["Non-refugees"] == t["All Population"]).all(), c


def test_single_adults_families_youth_add_up_except_two_cells(flow):
    t = _by_group(flow, "actively_homeless")
    diff = t["Single Adult"] + t["Families"] + t["Youth"] - t["All Population"]
    off = diff[diff != 0]
    assert list(off.index) == [pd.Timestamp("2020-04-01"), pd.Timestamp("2020-10-01")]
    assert (off.abs() == 1).all()
    for c in (*toronto.INFLOWS, *toronto.OUTFLOWS):
        t = _by_group(flow, c)
        assert (t["Single Adult"] + t["Families"] + t["Youth"] == t["All Population"]).all(), c


def test_age_and_gender_columns_sum_to_the_stock(flow):
    """Exact in every group but Single Adult (and two Families months) for the ages;
    genders exact but for the two Single Adult cells that are off by one above."""
    ages = [c for c in flow if c.startswith("age_")]
    genders = [c for c in flow if c.startswith("gender_")]
    age_off = flow[flow[ages].sum(axis=1) != flow["actively_homeless"]]
    assert set(age_off["group"]) == {"Single Adult", "Families"}
    assert (age_off["group"] == "Families").sum() == 2
    gender_off = flow[flow[genders].sum(axis=1) != flow["actively_homeless"]]
    assert list(gender_off["group"]) == ["Single Adult", "Single Adult"]
    assert (
        (flow.loc[gender_off.index, genders].sum(axis=1) - gender_off["actively_homeless"]) == -1
    ).all()


def test_stock_flow_residual_is_reported_not_hidden(flow):
    """The data README: change in stock lower than inflows - outflows, range -86 to +36.

    The range is reproduced exactly. The mean over the 77 month-to-month changes is
    -48.9 (the README rounds it to "on average 44"; the file gives 48.9).
    """
    res = stock_flow_residual(flow)
    assert len(res) == 77
    assert res["residual"].min() == -86 and res["residual"].max() == 36
    assert res["residual"].astype(float).mean() == pytest.approx(-3766 / 77)
    check = res["change"] - res["net_flow"]
    assert (check == res["residual"]).all()
    share = -res["residual_share_of_stock"]
    assert 0.002 < share.median() < 0.006  # "roughly 0.2-0.6% of the stock a month"


def test_covid_drop_and_refugee_shares(flow):
    t = _by_group(flow, "actively_homeless")["All Population"]
    assert t[pd.Timestamp("2020-01-01")] == 9916 and t[pd.Timestamp("2020-10-01")] == 7506
    share = _by_group(flow, "group_share_pct")["Refugees"]
    assert round(share[pd.Timestamp("2021-01-01")]) == 13
    assert round(share[pd.Timestamp("2024-01-01")]) == 51


def test_occupancy_daily_and_sectors_add_up():
    occ = read_occupancy(data_file("toronto/daily_shelter_occupancy_2017_2019.csv"))
    assert len(occ) == 1095
    assert occ["date"].min() == pd.Timestamp("2017-01-01")
    assert occ["date"].max() == pd.Timestamp("2019-12-31")
    assert round(100 * occ["occupancy"].sum() / occ["capacity"].sum(), 1) == 94.4
    assert (occ["capacity"] - occ["occupancy"] == occ["vacancy"]).all()
    sec = read_occupancy_by_sector(
        data_file("toronto/daily_shelter_occupancy_by_sector_2017_2019.csv")
    )
    assert len(sec) == 1095 * 5
    assert list(sec["sector"].cat.categories) == list(toronto.SECTORS)
    summed = sec.groupby("date", observed=True)[["capacity", "occupancy", "vacancy"]].sum()
    for c in ("capacity", "occupancy", "vacancy"):
        assert (summed[c].to_numpy() == occ[c].to_numpy()).all(), c
    assert (sec["vacancy"] < 0).sum() == 87  # sectors over capacity on some nights


def test_service_users_first_day_blank():
    users = read_service_users(data_file("toronto/daily_service_users_2021_2024.csv"))
    assert len(users) == 1277
    assert users["date"].min() == pd.Timestamp("2021-01-01")
    assert users["date"].max() == pd.Timestamp("2024-06-30")
    assert users["service_users"].isna().sum() == 1
    assert pd.isna(users.loc[0, "service_users"]) and users.loc[1, "service_users"] == 6048


def test_pit_national_sums_match_hud(pit):
    assert len(pit) == 24870
    assert sorted(pit["year"].unique()) == list(range(2007, 2020))
    overall = pit[pit["measure"] == "overall"].groupby("year")["count"].sum()
    assert overall[2007] == 647_258 and overall[2018] == 552_830
    assert set(pit["measure"]) == set(hud.PIT_MEASURES.values())
    wa = hud.coc_pit(pit, "WA-500")
    assert (wa["sheltered"] + wa["unsheltered"] == wa["overall"]).all()
    assert wa.loc[2019, "overall"] == 11199


def test_hic_beds_blank_where_a_type_did_not_exist():
    hic = read_hic(data_file("hud/hic_by_coc_2007_2023.csv"))
    assert len(hic) == 7047
    assert hic["year"].min() == 2007 and hic["year"].max() == 2023
    wa = hud.coc_beds(hic, "WA-500")
    assert pd.isna(wa.loc[2007, "rrh_beds"]) and wa.loc[2013, "rrh_beds"] == 47
    assert wa.loc[2023, "es_beds"] == 5288
    assert hic["es_beds"].notna().all() and hic["rrh_beds"].isna().sum() == 2661


def test_list_of_cocs(pit):
    table = hud.cocs(pit)
    assert len(table) == pit["coc"].nunique() == 399
    wa = table.set_index("coc").loc["WA-500"]
    assert wa["years_counted"] == 13 and wa["last_overall"] == 11199
