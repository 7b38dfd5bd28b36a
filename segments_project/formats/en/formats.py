"""One date format everywhere in the admin (`FORMAT_MODULE_PATH`): ISO-like dates, 24-hour
times and the time zone's abbreviation, so a moment reads the same on every page."""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
TIME_FORMAT = "H:i"
