"""The customer's service report: one self-contained, print-friendly HTML file per visit."""
