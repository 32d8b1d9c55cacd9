"""The rules of Partnerbot. Plain async code: no Discord import (ruff TID251 enforces it)."""
