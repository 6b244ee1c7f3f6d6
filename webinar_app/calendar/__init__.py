"""Calendar files (iCalendar): pure functions from modules to bytes."""
