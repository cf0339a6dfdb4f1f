#!/usr/bin/env python3
"""Derives gleaner's compact instance catalog from the shared EC2 data.

Usage: derive_catalog.py <ec2-us-east-1.csv> > ec2-us-east-1.csv

Input columns: instance_type, vcpu, memory_gib, on_demand_usd_per_hour, spot_savings_pct,
interruption_frequency (Spot Advisor label; empty when the advisor has no figures for the type).
Output columns: instance_type, vcpu, memory_mib, gpu, on_demand_usd_per_hour, spot_savings_pct,
interruption_bucket (0..4 for <5%, 5-10%, 10-15%, 15-20%, >20%). Types the Spot Advisor does not
list keep both spot columns empty: gleaner offers them on demand only.

The source data has no GPU counts; NVIDIA GPUs per type are added from the EC2 accelerated
computing documentation (AMD, Habana, Inferentia, Trainium, Xilinx and FPGA accelerators are not
GPUs to AWS Batch and count 0).
"""
import csv
import sys

BUCKETS = {"<5%": 0, "5-10%": 1, "10-15%": 2, "15-20%": 3, ">20%": 4}

ONE_GPU_SIZES = ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")
GPUS = {
    "g2.2xlarge": 1, "g2.8xlarge": 4,
    "g3s.xlarge": 1, "g3.4xlarge": 1, "g3.8xlarge": 2, "g3.16xlarge": 4,
    "g4dn.12xlarge": 4, "g4dn.metal": 8,
    "g5.12xlarge": 4, "g5.24xlarge": 4, "g5.48xlarge": 8,
    "g5g.16xlarge": 2, "g5g.metal": 2,
    "g6.12xlarge": 4, "g6.24xlarge": 4, "g6.48xlarge": 8,
    "g6e.12xlarge": 4, "g6e.24xlarge": 4, "g6e.48xlarge": 8,
    "gr6.4xlarge": 1, "gr6.8xlarge": 1,
    "p2.xlarge": 1, "p2.8xlarge": 8, "p2.16xlarge": 16,
    "p3.2xlarge": 1, "p3.8xlarge": 4, "p3.16xlarge": 8, "p3dn.24xlarge": 8,
    "p4d.24xlarge": 8, "p4de.24xlarge": 8,
    "p5.48xlarge": 8, "p5en.48xlarge": 8, "p6-b200.48xlarge": 8,
}
for family in ("g4dn", "g5", "g6", "g6e"):
    for size in ONE_GPU_SIZES:
        GPUS.setdefault(f"{family}.{size}", 1)
for size in ("xlarge", "2xlarge", "4xlarge", "8xlarge"):
    GPUS[f"g5g.{size}"] = 1


def main(path):
    out = csv.writer(sys.stdout, lineterminator="\n")
    print("# Derived by derive_catalog.py from ../shared/data/ec2-us-east-1.csv (AWS price list, January")
    print("# 2026; Spot Advisor savings and interruption buckets); GPU counts from the EC2 documentation.")
    out.writerow(["instance_type", "vcpu", "memory_mib", "gpu", "on_demand_usd_per_hour",
                  "spot_savings_pct", "interruption_bucket"])
    names = set()
    with open(path, newline="") as source:
        for row in csv.DictReader(source):
            label = row["interruption_frequency"].strip()
            name = row["instance_type"]
            names.add(name)
            out.writerow([
                name,
                row["vcpu"],
                round(float(row["memory_gib"]) * 1024),
                GPUS.get(name, 0),
                row["on_demand_usd_per_hour"],
                row["spot_savings_pct"] if label else "",
                BUCKETS[label] if label else "",
            ])
    missing = sorted(name for name in GPUS if name not in names)
    if missing:
        sys.exit(f"GPU table names unknown types: {missing}")


if __name__ == "__main__":
    main(sys.argv[1])
