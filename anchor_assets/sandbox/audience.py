"""Who listens to the fictional show: the usual shares of each audience breakdown and place.

Each breakdown maps a label, in the order the API lists it, to its usual share of plays; the show
adds day-to-day wobble around these. A share of exactly 0 stays 0 on every day, so the answers
keep the zero entries that real answers carry.
"""

AGE_RANGES = {
    "0-17": 0.0,  # Spotify reports no minors; the real answers still list the range with 0.
    "18-22": 0.07,
    "23-27": 0.18,
    "28-34": 0.31,
    "35-44": 0.26,
    "45-59": 0.14,
    "60+": 0.04,
}

GENDERS = {
    "Male": 0.55,
    "Female": 0.40,
    "Not specified": 0.05,
    "Non-binary": 0.0,
}

# The last few stay under the 2% the API hides, so most windows drop them.
APPS = {
    "Spotify": 0.58,
    "Apple Podcasts": 0.17,
    "Web Browser": 0.09,
    "Pocket Casts": 0.05,
    "Overcast": 0.04,
    "CastBox": 0.03,
    "Podcast Addict": 0.015,
    "Castro": 0.01,
    "Podverse": 0.005,
}

DEVICES = {
    "iPhone": 0.42,
    "Android": 0.31,
    "Mac": 0.06,
    "Windows": 0.05,
    "iPad": 0.015,
    "Smart Speaker": 0.01,
    "Other": 0.135,
}

# A country's usual share of all plays, and the regions its plays come from with their weights.
COUNTRIES = {
    "Germany": 0.30,
    "United States": 0.17,
    "United Kingdom": 0.09,
    "France": 0.06,
    "Netherlands": 0.04,
    "Canada": 0.035,
    "Australia": 0.03,
    "Poland": 0.028,
    "India": 0.022,
    "Sweden": 0.02,
    "Brazil": 0.018,
    "Spain": 0.017,
    "Italy": 0.012,
    "Portugal": 0.011,
    "Norway": 0.01,
    "Czech Republic": 0.009,
    "Ireland": 0.008,
    "Austria": 0.007,
    "Switzerland": 0.0065,
    "Denmark": 0.006,
    "Japan": 0.005,
    "New Zealand": 0.004,
    "South Africa": 0.003,
    "Iceland": 0.0012,
}

# One line a country reads better than the formatter's one line a region.
# fmt: off
REGIONS = {
    "Germany": {
        "Land Berlin": 0.36, "Bavaria": 0.16, "North Rhine-Westphalia": 0.12, "Hesse": 0.07,
        "Free and Hanseatic City of Hamburg": 0.06, "Lower Saxony": 0.05, "Saxony": 0.04,
        "Baden-Wurttemberg": 0.04, "Schleswig-Holstein": 0.03, "Bremen": 0.02, "Saarland": 0.002,
    },
    "United States": {
        "California": 0.22, "New York": 0.15, "Texas": 0.1, "Washington": 0.07,
        "Illinois": 0.06, "Massachusetts": 0.05, "Florida": 0.05, "Oregon": 0.03, "Maine": 0.004,
    },
    "United Kingdom": {"England": 0.82, "Scotland": 0.1, "Wales": 0.05, "Northern Ireland": 0.03},
    "France": {
        "Ile-de-France": 0.45, "Auvergne-Rhone-Alpes": 0.14, "Occitanie": 0.1, "Brittany": 0.08,
        "Normandy": 0.05, "Corsica": 0.005,
    },
    "Netherlands": {
        "North Holland": 0.38, "South Holland": 0.27, "Utrecht": 0.15, "Groningen": 0.06,
        "Zeeland": 0.008,
    },
    "Canada": {"Ontario": 0.44, "Quebec": 0.22, "British Columbia": 0.2, "Alberta": 0.1},
    "Australia": {"New South Wales": 0.38, "Victoria": 0.33, "Queensland": 0.16, "Tasmania": 0.03},
    "Poland": {"Masovia": 0.4, "Lesser Poland": 0.2, "Lower Silesia": 0.15, "Pomerania": 0.12},
    "India": {"Karnataka": 0.3, "Maharashtra": 0.28, "Delhi": 0.2, "Tamil Nadu": 0.12},
    "Sweden": {"Stockholm County": 0.52, "Vastra Gotaland": 0.22, "Skane": 0.16},
    "Brazil": {"Sao Paulo": 0.46, "Rio de Janeiro": 0.22, "Minas Gerais": 0.12},
    "Spain": {"Madrid": 0.38, "Catalonia": 0.34, "Andalusia": 0.12, "Valencia": 0.1},
    "Italy": {"Lombardy": 0.4, "Lazio": 0.25, "Emilia-Romagna": 0.15},
    "Portugal": {"Lisbon": 0.55, "Porto": 0.3, "Faro": 0.08},
    "Norway": {"Oslo": 0.55, "Vestland": 0.2, "Trondelag": 0.12},
    "Czech Republic": {"Prague": 0.6, "South Moravian": 0.25},
    "Ireland": {"Leinster": 0.62, "Munster": 0.25, "Connacht": 0.08},
    "Austria": {"Vienna": 0.55, "Styria": 0.15, "Upper Austria": 0.12, "Tyrol": 0.1},
    "Switzerland": {"Zurich": 0.45, "Bern": 0.2, "Geneva": 0.15, "Basel-City": 0.12},
    "Denmark": {"Capital Region": 0.6, "Central Jutland": 0.25},
    "Japan": {"Tokyo": 0.7, "Osaka": 0.2},
    "New Zealand": {"Auckland": 0.5, "Wellington": 0.3, "Canterbury": 0.2},
    "South Africa": {"Western Cape": 0.55, "Gauteng": 0.45},
    "Iceland": {"Capital Region": 1.0},
}
# fmt: on

# Where the show's impressions on Spotify come from: source id, the name shown, usual share.
IMPRESSION_SOURCES = {
    "home": ("Spotify Home", 0.3),
    "search": ("Spotify Search", 0.64),
    "library": ("Spotify Library", 0.055),
    "other": ("Other Spotify features", 0.005),
}
