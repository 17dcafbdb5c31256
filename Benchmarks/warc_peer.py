#!/usr/bin/env python3
"""Read every record of a WARC file with a Python peer, as Benchmarks/warc.sh times it.

    python3 Benchmarks/warc_peer.py fastwarc|fastwarc-http|warcio FILE

fastwarc       fastwarc 2.0 ArchiveIterator, all record types, no HTTP parsing, every record's
               content block read (what `quern warc index` does: parse the WARC header, copy
               the block, print an index line)
fastwarc-http  the same with fastwarc's HTTP header parsing on (its default)
warcio         warcio 1.8 ArchiveIterator, every record's raw block read (for reference)

Prints "records block_bytes" so the runs can be checked against each other.
"""
import sys


def main():
    tool, path = sys.argv[1], sys.argv[2]
    records = 0
    size = 0
    with open(path, "rb") as f:
        if tool.startswith("fastwarc"):
            from fastwarc.warc import ArchiveIterator, WarcRecordType
            it = ArchiveIterator(f, record_types=WarcRecordType.any_type,
                                 parse_http=(tool == "fastwarc-http"), strict_mode=False)
            for rec in it:
                size += len(rec.reader.read())
                records += 1
        elif tool == "warcio":
            from warcio.archiveiterator import ArchiveIterator
            for rec in ArchiveIterator(f, no_record_parse=True):
                size += len(rec.raw_stream.read())
                records += 1
        else:
            sys.exit(f"unknown tool {tool}")
    print(records, size)


if __name__ == "__main__":
    main()
