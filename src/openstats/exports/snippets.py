"""Example code for a data set: Python (pandas and csv), R and curl, each runnable as shown."""

from __future__ import annotations


def snippets(csv_url: str, api_base: str, data_set_id: str) -> dict[str, str]:
    return {
        "Python (pandas)": f'''import pandas as pd

data = pd.read_csv("{csv_url}")
print(data.head())
''',
        "Python (csv)": f'''import csv
import io
import urllib.request

with urllib.request.urlopen("{csv_url}") as response:
    rows = list(csv.DictReader(io.TextIOWrapper(response, encoding="utf-8")))
print(len(rows), "rows")
print(rows[0])
''',
        "R": f'''data <- read.csv("{csv_url}")
head(data)
''',
        "curl": f'''curl -L "{csv_url}" -o data.csv
curl "{api_base}/v1/data-sets/{data_set_id}/meta"
''',
    }
