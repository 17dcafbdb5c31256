#!/usr/bin/env python3
"""Golden records for Quern's WARC/ARC reader tests (run by hand).

    python3 Tests/Reference/warc_goldens.py [--corpora DIR]

Needs warcio 1.8 (the reference) and the shared corpora (../shared/corpora or $QUERN_CORPORA).
Reads every .warc/.arc/.wet/.wat file (any compression) in <corpora>/web/ and writes
Tests/Reference/warc/warc_<file name>.jsonl: one line per record, in file order:

  "off"   record offset as warcio reports it (for gzip-per-record files: the compressed offset
          of the record's gzip member, as in a CDX index)
  "len"   record length as warcio reports it (compressed bytes of the member(s))
  "type"  WARC-Type (ARC records: "response", or "warcinfo" for the filedesc:// record)
  "uri"   WARC-Target-URI with wget's <...> angle brackets removed ("" when absent)
  "id"    WARC-Record-ID ("" when absent)
  "ct"    Content-Type of the record ("" when absent)
  "n"     byte length of the content block
  "crc"   zlib CRC-32 of the content block
  "st"    HTTP status code, for records whose block warcio parses as an HTTP response
  "bn"/"bcrc"  byte length and CRC-32 of the HTTP body after warcio removes the chunked
          transfer-encoding and the gzip/deflate content-encoding (warcio keeps the raw body when
          it does not decode); present with "st" unless the body is brotli-encoded

Only lengths and checksums are stored, never page content.
"""
import argparse
import json
import os
import zlib

from warcio.archiveiterator import ArchiveIterator

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "warc")


def strip_angles(uri):
    if uri and uri.startswith("<") and uri.endswith(">"):
        return uri[1:-1]
    return uri or ""


def raw_pass(path):
    """Every record's header fields, offsets and raw content block."""
    rows = []
    with open(path, "rb") as f:
        it = ArchiveIterator(f, no_record_parse=True)
        for rec in it:
            h = rec.rec_headers
            block = rec.raw_stream.read()
            if rec.format.startswith("arc"):
                uri = h.get_header("uri")
                typ = "warcinfo" if uri.startswith("filedesc:") else "response"
                rid = ""
                ct = h.get_header("content-type") or ""
            else:
                typ = h.get_header("WARC-Type")
                uri = strip_angles(h.get_header("WARC-Target-URI"))
                rid = h.get_header("WARC-Record-ID") or ""
                ct = h.get_header("Content-Type") or ""
            row = {"off": it.get_record_offset(), "type": typ, "uri": uri, "id": rid, "ct": ct,
                   "n": len(block), "crc": zlib.crc32(block)}
            rows.append(row)
            # get_record_length() needs the record fully read, which read() above did.
            row["len"] = it.get_record_length()
    return rows


def http_pass(path, rows):
    """HTTP status and decoded body of the records warcio parses as HTTP responses."""
    with open(path, "rb") as f:
        for row, rec in zip(rows, ArchiveIterator(f)):
            if rec.http_headers is None or rec.rec_type not in ("response",):
                continue
            if not rec.http_headers.protocol.upper().startswith("HTTP/"):
                continue
            try:
                status = int(rec.http_headers.get_statuscode())
            except (TypeError, ValueError):
                continue
            row["st"] = status
            enc = (rec.http_headers.get_header("Content-Encoding") or "").strip().lower()
            if enc == "br":
                continue
            body = rec.content_stream().read()
            row["bn"] = len(body)
            row["bcrc"] = zlib.crc32(body)


def main():
    ap = argparse.ArgumentParser()
    default = os.environ.get("QUERN_CORPORA") or os.path.join(HERE, "..", "..", "..", "shared", "corpora")
    ap.add_argument("--corpora", default=default)
    args = ap.parse_args()
    web = os.path.join(args.corpora, "web")
    os.makedirs(OUT, exist_ok=True)
    for name in sorted(os.listdir(web)):
        if not any(k in name for k in (".warc", ".arc", ".wet", ".wat")):
            continue
        path = os.path.join(web, name)
        rows = raw_pass(path)
        http_pass(path, rows)
        out = os.path.join(OUT, "warc_" + name.split(".")[0].replace("~", "_") + "." +
                           ".".join(name.split(".")[1:-1]) + ".jsonl")
        with open(out, "w") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        kinds = {}
        for row in rows:
            kinds[row["type"]] = kinds.get(row["type"], 0) + 1
        print(f"{name}: {len(rows)} records {kinds}")


if __name__ == "__main__":
    main()
