"""Who reports what, when: the demand model shared by the history plan (simulation/plan.py) and the live
simulator (simulation/arrivals.py), so that the live load looks like the past.

Category shares over a year, the channel mix and the channels that only bring some categories, weekday and
hour-of-day rhythms, Anshan's climate and seasons (heating from 1 November to 31 March, cold snaps, summer noise,
spring thaw) and the texts citizens use. Pure data and functions: no database, no randomness of its own.
"""
from __future__ import annotations

import math
from datetime import date, datetime
from functools import lru_cache

import numpy as np

# Share of each category over a year before seasons act (they then scale it day by day).
CATEGORY_WEIGHTS = {
    "heating_cold": 0.30, "water_leak": 0.10, "sanitation": 0.11, "housing_repair": 0.08, "noise": 0.06,
    "road_damage": 0.05, "streetlight": 0.04, "power_fault": 0.05, "gas_leak": 0.012, "neighbour_dispute": 0.06,
    "public_security": 0.05, "greening": 0.03, "other": 0.13,
}

# The share of each door: in the past (the history; the hotline ~68 % once CHANNEL_ONLY acts) and in live intake (the
# simulator; the hotline ~55 %). The two mixes were tuned apart; they sit side by side here so that a change to one
# is made looking at the other. The simulator does not play the integrations' doors (api, open311): 0 live.
PAST, LIVE = 0, 1
CHANNEL_WEIGHTS: dict[str, tuple[float, float]] = {     # channel: (past, live)
    "hotline": (0.60, 0.46), "grid_worker": (0.13, 0.20), "web": (0.08, 0.11), "police_110": (0.05, 0.05),
    "elder_phone": (0.04, 0.09), "walk_in": (0.03, 0.05), "api": (0.03, 0.0), "open311": (0.02, 0.0),
    "letter": (0.02, 0.04),
}
# Channels that only bring some categories: grid workers report what they see on patrol; 110 passes on
# disturbances; elders press their one-key phone for heating, water and power.
CHANNEL_ONLY = {
    "grid_worker": {"sanitation", "road_damage", "streetlight", "greening", "other", "neighbour_dispute",
                    "water_leak"},
    "police_110": {"noise", "public_security", "neighbour_dispute", "gas_leak"},
    "elder_phone": {"heating_cold", "water_leak", "power_fault", "housing_repair", "other"},
}
# Live only: 110 passes on most public-security calls.
POLICE_110_SECURITY_BOOST = 12.0
WEEKDAY_FACTOR = (1.12, 1.03, 1.0, 1.0, 0.98, 0.82, 0.78)

# Local hour profiles (24 weights).
OFFICE_HOURS = [0.12, 0.08, 0.06, 0.05, 0.06, 0.15, 0.45, 0.9, 1.5, 1.7, 1.6, 1.3, 0.9, 1.0, 1.4, 1.5, 1.4, 1.2,
                1.0, 0.9, 0.75, 0.55, 0.35, 0.2]
HOUR_PROFILES = {
    "noise": [1.4, 1.0, 0.5, 0.2, 0.1, 0.1, 0.3, 0.5, 0.6, 0.6, 0.6, 0.6, 0.7, 0.6, 0.6, 0.6, 0.6, 0.7, 1.0, 1.8,
              2.6, 2.8, 2.4, 1.9],
    "heating_cold": [0.3, 0.2, 0.2, 0.2, 0.3, 0.8, 1.6, 1.9, 1.8, 1.5, 1.2, 1.0, 0.9, 0.9, 1.0, 1.1, 1.3, 1.6, 1.9,
                     2.0, 1.8, 1.3, 0.8, 0.5],
    "water_leak": [0.5, 0.4, 0.4, 0.4, 0.5, 0.8, 1.2, 1.5, 1.5, 1.3, 1.2, 1.1, 1.0, 1.0, 1.0, 1.1, 1.1, 1.2, 1.3,
                   1.2, 1.0, 0.9, 0.7, 0.6],
    "public_security": [1.0, 0.9, 0.6, 0.4, 0.3, 0.3, 0.4, 0.6, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.0, 1.1,
                        1.2, 1.3, 1.4, 1.4, 1.3, 1.2],
}

DESCRIPTIONS = {
    "heating_cold": ["家中暖气不热，室温只有十四五度", "暖气片上热下凉，屋里冷", "供暖开始后家里一直不热，老人孩子受冻",
                     "楼内整个单元暖气温度偏低", "暖气管道阀门漏水且不热"],
    "water_leak": ["楼道自来水管冻裂跑水", "小区主管道漏水，路面结冰", "楼上漏水渗到我家天棚", "单元门前水管破裂，水流不止",
                   "地下室进水，水表处漏水"],
    "sanitation": ["垃圾箱满溢多日无人清运", "楼下堆放建筑垃圾", "路边有人倾倒生活垃圾", "公厕卫生差无人打扫",
                   "小区积雪未清，出行困难"],
    "housing_repair": ["屋顶漏雨，墙皮脱落", "楼道窗户玻璃破损", "单元门坏了关不上", "外墙保温层脱落有安全隐患",
                       "楼梯扶手松动"],
    "noise": ["晚上广场舞音响声音太大", "楼下烧烤店夜间喧哗", "装修噪音中午和晚上不停", "夜间施工噪音扰民",
              "商铺门口高音喇叭促销"],
    "road_damage": ["路面出现大坑，车辆通行危险", "人行道地砖松动破损", "井盖缺失，行人易跌落", "道路塌陷一处",
                    "冻融后路面开裂严重"],
    "streetlight": ["路灯不亮，夜间出行不便", "一排路灯白天也亮着", "路灯杆倾斜有安全隐患", "小区主路路灯损坏多日"],
    "power_fault": ["整栋楼突然停电", "电线杆上电线打火", "家中电压不稳，电器无法使用", "配电箱冒烟"],
    "gas_leak": ["楼道内有明显燃气味", "燃气表附近有异味", "室外燃气管道有漏气声"],
    "neighbour_dispute": ["邻居长期占用公共楼道堆放杂物", "楼上住户向下扔垃圾，协商无果", "邻居饲养犬只扰民",
                          "因停车位与邻居发生纠纷"],
    "public_security": ["小区内有可疑人员徘徊", "夜间有人在路边聚集滋事", "自行车被盗", "商铺门前有人酗酒闹事"],
    "greening": ["行道树枝干折断挡路", "小区绿地被毁种菜", "树木遮挡居民采光，申请修剪", "绿化带杂草丛生"],
    "other": ["咨询供暖开栓时间", "反映小区物业服务不到位", "咨询低保办理流程", "反映公交站牌损坏", "建议增设健身器材",
              "反映商家占道经营"],
}

# Hotline seats (坐席) that register calls.
OPERATORS = [f"坐席{n:02d}" for n in range(1, 13)]


def channel_weights(category: str, era: int) -> dict[str, float]:
    """The doors that bring ``category`` with their weights (not normalised), in the table's order, for PAST or
    LIVE."""
    weights = {c: w[era] for c, w in CHANNEL_WEIGHTS.items()
               if w[era] > 0 and (c not in CHANNEL_ONLY or category in CHANNEL_ONLY[c])}
    if era == LIVE and category == "public_security" and "police_110" in weights:
        weights["police_110"] *= POLICE_110_SECURITY_BOOST
    return weights


def climate_temperature(day: date) -> float:
    """Anshan's mean daily temperature by the calendar (about −8.5 °C late January, +25.5 °C late July). The history
    adds a persistent random anomaly to it (the cold snaps); the live simulator uses it as it is."""
    return 8.5 - 17.0 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 22) / 365.25)


def in_heating_season(day: date) -> bool:
    return day.month >= 11 or day.month <= 3


def seasonal_factor(category: str, day: date, temp: float) -> float:
    """How much more (or less) often a category is reported on ``day``, at mean temperature ``temp``, than on an
    average day."""
    m = day.month
    heating = in_heating_season(day)
    if category == "heating_cold":
        if not heating:
            return 0.015
        # The first two weeks after heating starts bring the most complaints, then the coldest days.
        start = date(day.year if m >= 11 else day.year - 1, 11, 1)
        since = (day - start).days
        return 1.2 + 2.6 * math.exp(-since / 7.0) + 0.12 * max(0.0, -temp)
    if category == "water_leak":
        return 0.7 + 0.5 * max(0.0, -8 - temp) + (0.25 if m in (7, 8) else 0)
    if category == "noise":
        return 0.35 + 0.11 * max(0.0, temp - 8)
    if category == "road_damage":
        return 2.2 if (m == 3 and day.day >= 10) or m == 4 else 0.85
    if category == "streetlight":
        return 1.0 + 0.45 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 355) / 365.25)
    if category == "power_fault":
        return 0.8 + 0.12 * max(0.0, temp - 22) + 0.05 * max(0.0, -12 - temp)
    if category == "gas_leak":
        return 1.5 if heating else 0.6
    if category == "housing_repair":
        return 1.0 + (0.8 if m in (7, 8) else 0) + (0.3 if heating else 0)
    if category == "greening":
        return 1.6 if 4 <= m <= 9 else 0.25
    if category == "sanitation":
        return 1.3 if m in (3, 4, 5) else (1.15 if m in (12, 1, 2) else 1.0)   # snowmelt litter; snow clearing
    if category == "neighbour_dispute":
        return 1.2 if 5 <= m <= 9 else 0.9
    return 1.0


# ------------------------------------------------------------------------------------------------ live intensity
# The live simulator has no weather anomaly: it takes the seasons from the climate alone, with two categories
# recomputed for that (no heating complaints at all out of season; water leaks from the mean frost).

@lru_cache(maxsize=8192)
def season_factor(category: str, day: date) -> float:
    """How much more (or less) often a category is reported live on ``day`` than on an average day."""
    temp = climate_temperature(day)
    if category == "heating_cold":        # only in the heating season (1 November – 31 March)
        return seasonal_factor(category, day, temp) if in_heating_season(day) else 0.0
    if category == "water_leak":          # frozen and burst pipes: more the colder it is
        return 0.8 + 0.06 * max(0.0, 2.0 - temp)
    return seasonal_factor(category, day, temp)


@lru_cache(maxsize=None)
def hour_weights(category: str) -> tuple[float, ...]:
    """The category's 24 local-hour weights, mean 1."""
    profile = np.array(HOUR_PROFILES.get(category, OFFICE_HOURS), dtype=float)
    return tuple(profile / profile.mean())


def category_intensity(local: datetime) -> dict[str, float]:
    """Relative intensity of each category at a local time (share × season × hour of day × weekday)."""
    day, weekday = local.date(), WEEKDAY_FACTOR[local.weekday()]
    return {c: w * season_factor(c, day) * hour_weights(c)[local.hour] * weekday for c, w in CATEGORY_WEIGHTS.items()}


def demand_shape(local: datetime) -> float:
    return sum(category_intensity(local).values())
