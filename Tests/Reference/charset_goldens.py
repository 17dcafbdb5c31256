#!/usr/bin/env python3
"""Encoded fixtures and their expected UTF-8 for Quern's charset tests (run by hand).

    python3 Tests/Reference/charset_goldens.py

Writes Tests/QuernWebTests/Charset/charset_goldens.json: a list of cases, each
  name          what the case is about
  hex           the page's bytes, encoded here with Python's codecs (not with ICU, which is
                what Quern decodes with: the fixtures must not come from the code under test)
  content_type  the HTTP Content-Type the page arrives with, or null
  text          the expected UTF-8 text, decoded here with Python's codec for the WHATWG
                encoding (cp932 for Shift_JIS, gb18030 for GBK, big5hkscs for Big5, cp1252 for
                latin-1, errors="replace" where the bytes are broken)
  encoding      the WHATWG name Quern must decide on
  source        where the decision must come from: bom, http, meta, utf8, detected, default

The texts are written for these tests (short paragraphs in Japanese, Chinese, Russian, French);
detection cases are long enough for ICU's detector (several hundred characters, no markup
beyond a wrapper).
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "QuernWebTests", "Charset", "charset_goldens.json")

JA = ("東京の朝は早い。駅のホームには通勤する人々が並び、電車が到着するたびに静かに乗り込んでいく。"
      "窓の外には古い商店街と新しい高層ビルが混ざり合った景色が流れ、季節ごとに違う表情を見せてくれる。"
      "春には川沿いの桜が満開になり、週末になると家族連れや学生たちが花見を楽しむために公園へ集まる。"
      "夏は蒸し暑く、夕方になると祭りの太鼓の音がどこからともなく聞こえてくる。秋は紅葉が美しく、"
      "冬は空気が澄んで遠くの富士山がはっきりと見える日もある。この町で暮らす人々は、忙しい毎日の中でも"
      "小さな楽しみを見つけることが上手だ。近所の喫茶店で新聞を読む老人、図書館で勉強する高校生、"
      "市場で野菜を選ぶ主婦たち。それぞれの生活が重なり合って、町の記憶が少しずつ積み重なっていく。")
ZH_HANS = ("北京的秋天是一年中最美的季节。天空格外蓝，空气也变得清爽起来，街道两旁的银杏树叶慢慢变成金黄色。"
           "每到周末，很多家庭会带着孩子去公园散步，老人们在湖边下棋、聊天，年轻人则骑着自行车穿过胡同。"
           "傍晚的时候，小吃摊陆续开张，烤红薯和糖炒栗子的香味飘满了整条街。人们一边走一边吃，谈论着最近的新闻和生活中的琐事。"
           "这座城市既有古老的历史，也有现代化的高楼大厦，两者交织在一起，形成了独特的风景。"
           "对于很多在外地工作的人来说，回到家乡吃一顿妈妈做的饭，就是最大的幸福。")
ZH_HANT = ("臺北的夜市是許多旅客最難忘的回憶。每當夜幕低垂，街道兩旁的攤販便陸續點亮燈光，空氣中瀰漫著各種食物的香氣。"
           "從蚵仔煎、滷肉飯到珍珠奶茶，每一樣小吃都有自己的故事。當地人習慣下班後和朋友相約逛夜市，"
           "一邊品嚐美食一邊聊天，直到深夜才依依不捨地回家。除了美食之外，夜市裡也有遊戲攤位和各式各樣的商品，"
           "吸引了不少年輕人和家庭前來。這種熱鬧又溫暖的氣氛，正是這座城市最迷人的地方。"
           "許多離開家鄉的遊子，最想念的往往不是名勝古蹟，而是巷口那一碗熟悉的湯麵。")
RU = ("Москва встречает утро шумом машин и запахом свежего хлеба из маленьких пекарен. "
      "Люди спешат на работу, дети идут в школу, а пожилые жители неторопливо гуляют по бульварам. "
      "Осенью парки становятся особенно красивыми: листья клёнов окрашиваются в красный и жёлтый цвета, "
      "и город будто наполняется тёплым светом. Вечером на улицах зажигаются фонари, открываются кафе и театры, "
      "и жизнь продолжается до поздней ночи. Многие приезжие удивляются тому, как быстро здесь меняется погода "
      "и как много в городе музеев, библиотек и старинных церквей.")
FR = ("À Paris, l'été, les terrasses des cafés débordent de monde. On y boit un café crème en lisant le journal, "
      "on discute de politique, de cinéma et des vacances à venir. « C'est la vie », dit le serveur en souriant — "
      "il a vu passer des générations d'étudiants, d'artistes et de touristes égarés. Les façades haussmanniennes "
      "brillent sous le soleil, et les bouquinistes des quais de Seine attendent patiemment les curieux.")


def html(body, head=""):
    return f"<!DOCTYPE html><html><head>{head}<title>t</title></head><body><p>{body}</p></body></html>"


cases = []


def case(name, data, text, encoding, source, content_type=None):
    cases.append({"name": name, "hex": data.hex(), "content_type": content_type, "text": text,
                  "encoding": encoding, "source": source})


def declared(name, text, codec, label, encoding, via, expect_codec=None):
    """A page declaring `label` through `via` ("http" or "meta"), encoded with `codec`."""
    head = f'<meta charset="{label}">' if via == "meta" else ""
    page = html(text, head)
    data = page.encode(codec)
    content_type = f"text/html; charset={label}" if via == "http" else None
    case(name, data, data.decode(expect_codec or codec), encoding, via, content_type)


# Every encoding the issue lists, declared.
declared("shift_jis meta", JA, "cp932", "shift_jis", "Shift_JIS", "meta")
declared("sjis http", JA, "cp932", "x-sjis", "Shift_JIS", "http")
declared("euc-jp meta", JA, "euc_jp", "EUC-JP", "EUC-JP", "meta")
declared("gbk meta", ZH_HANS, "gbk", "gbk", "GBK", "meta", "gb18030")
declared("gb2312 http", ZH_HANS, "gbk", "GB2312", "GBK", "http", "gb18030")
declared("gb18030 four-byte", ZH_HANS + " 𠀀 €", "gb18030", "gb18030", "gb18030", "meta")
declared("big5 meta", ZH_HANT, "big5", "big5", "Big5", "meta", "big5hkscs")
declared("windows-1251 meta", RU, "cp1251", "windows-1251", "windows-1251", "meta")
declared("windows-1252 http", FR + " “quotes” – € ™", "cp1252", "windows-1252", "windows-1252", "http")
declared("latin-1 label is windows-1252", FR.replace("—", "-"), "latin-1", "ISO-8859-1", "windows-1252", "http", "cp1252")
declared("koi8-r meta", RU, "koi8_r", "koi8-r", "KOI8-R", "meta")
declared("euc-kr meta", "서울의 봄은 짧지만 아름답다. 벚꽃이 피면 사람들은 공원으로 나간다.", "cp949",
         "euc-kr", "EUC-KR", "meta")
declared("iso-8859-2 meta", "Zażółć gęślą jaźń. Příliš žluťoučký kůň úpěl ďábelské ódy.", "iso8859_2",
         "latin2", "ISO-8859-2", "meta")

# latin-1 label, bytes 0x80-0x9F: the WHATWG mapping (windows-1252) gives the Windows punctuation.
page = html("price: 20 \x80, it\x92s \x93quoted\x94").encode("latin-1")
case("latin1 label with C1 bytes", page, page.decode("cp1252"), "windows-1252", "http",
     "text/html; charset=latin1")
# The five bytes windows-1252 leaves unassigned are C1 controls (Python's cp1252 refuses them).
page = html("a\x81b\x8dc\x8fd\x90e\x9df\xe9").encode("latin-1")
case("windows-1252 unassigned bytes", page, page.decode("latin-1"), "windows-1252", "http",
     "text/html; charset=windows-1252")

# UTF-16 with BOMs (and a meta that says something else: the BOM wins).
for codec, enc in (("utf-16-le", "UTF-16LE"), ("utf-16-be", "UTF-16BE")):
    bom = b"\xff\xfe" if codec.endswith("le") else b"\xfe\xff"
    page = html(JA[:60] + " " + FR[:80], '<meta charset="windows-1252">')
    case(f"{enc} BOM beats meta", bom + page.encode(codec), page, enc, "bom")
page = html(FR, '<meta charset="shift_jis">')
case("UTF-8 BOM beats http and meta", b"\xef\xbb\xbf" + page.encode("utf-8"), page, "UTF-8", "bom",
     "text/html; charset=shift_jis")
# UTF-16LE declared by HTTP, no BOM.
page = html(RU[:100])
case("utf-16 http without BOM", page.encode("utf-16-le"), page, "UTF-16LE", "http", "text/html; charset=utf-16")

# HTTP beats meta.
page = html(RU, '<meta charset="koi8-r">')
case("http beats meta", page.encode("cp1251"), page.encode("cp1251").decode("cp1251"), "windows-1251",
     "http", "text/html; charset=windows-1251")
# Unknown HTTP label: falls through to the meta.
page = html(RU, '<meta charset="windows-1251">')
case("unknown http label falls to meta", page.encode("cp1251"), page, "windows-1251", "meta",
     "text/html; charset=x-no-such-thing")

# Prescan edge cases.
page = html(JA, '<!-- <meta charset="utf-8"> --><meta charset="euc-jp">')
case("meta in a comment is ignored", page.encode("euc_jp"), page, "EUC-JP", "meta")
page = html(JA, "<meta http-equiv='Content-Type' content='text/html; charset=Shift_JIS'>")
case("http-equiv single quotes", page.encode("cp932"), page, "Shift_JIS", "meta")
page = html(JA, '<meta content="text/html; charset=euc-jp" http-equiv="content-type">')
case("content before http-equiv", page.encode("euc_jp"), page, "EUC-JP", "meta")
page = html(RU, '<meta content="text/html; charset=windows-1251"><meta charset=koi8-r>')
case("content without http-equiv is ignored", page.encode("koi8_r"), page, "KOI8-R", "meta")
page = html(RU, '<META HTTP-EQUIV=Content-Type CONTENT="text/html;charset = \'windows-1251\'">')
case("uppercase, unquoted, spaces around =", page.encode("cp1251"), page, "windows-1251", "meta")
page = html(FR, '<meta charset="utf-16">')
case("utf-16 in a meta means utf-8", page.encode("utf-8"), page, "UTF-8", "meta")
page = html(FR, '<meta charset="x-user-defined">')
case("x-user-defined in a meta means windows-1252", page.encode("cp1252"), page, "windows-1252", "meta")
page = html(JA, '<link title="<meta charset=utf-8>"><meta charset="shift_jis">')
case("meta inside another tag's attribute is ignored", page.encode("cp932"), page, "Shift_JIS", "meta")
page = ("<html><head><script>var s = 'x';</script>" + " " * 1100 + '<meta charset="cp1251"></head><body>'
        + RU + "</body></html>")
case("meta after 1024 bytes is not seen", page.encode("cp1251"), page, "windows-1251", "detected")

# Plainly wrong declarations.
page = html(FR + " " + JA[:40], '<meta charset="iso-8859-1">')
case("declared latin-1, bytes are UTF-8", page.encode("utf-8"), page, "UTF-8", "utf8")
page = html(JA[:50] + FR[:50], '<meta charset="iso-2022-jp">')
case("declared iso-2022-jp, bytes are UTF-8", page.encode("utf-8"), page, "UTF-8", "utf8")
page = html(FR, '<meta charset="utf-8">')
case("declared utf-8, bytes are windows-1252", page.encode("cp1252"), page, "windows-1252", "detected")
page = html("Zażółć gęślą jaźń; Țară, Școală, Înțelepciune.", '<meta charset="iso-8859-16">')
case("iso-8859-16 meta", page.encode("iso8859_16"), page, "ISO-8859-16", "meta")
page = html(FR, '<meta charset="utf-8">')
data = page.encode("utf-8") + b" broken: \xe9t\xc3 \xf0\x9f\x98 end"
case("declared utf-8 with a few broken bytes", data, data.decode("utf-8", errors="replace"), "UTF-8", "meta")
page = html("plain ASCII only", '<meta charset="windows-1251">')
case("ascii under a legacy declaration", page.encode("ascii"), page, "windows-1251", "meta")

# Undeclared: valid UTF-8, then detection.
page = html(JA + FR)
case("undeclared utf-8", page.encode("utf-8"), page, "UTF-8", "utf8")
for name, text, codec, expect, enc in (
    ("shift_jis", JA, "cp932", "cp932", "Shift_JIS"),
    ("euc-jp", JA, "euc_jp", "euc_jp", "EUC-JP"),
    ("gbk", ZH_HANS, "gbk", "gb18030", "gb18030"),
    ("big5", ZH_HANT, "big5", "big5hkscs", "Big5"),
    ("windows-1251", RU, "cp1251", "cp1251", "windows-1251"),
):
    page = html(text)
    data = page.encode(codec)
    case(f"undeclared {name} is detected", data, data.decode(expect), enc, "detected")
page = html(JA[:80]).encode("iso2022_jp")
case("undeclared iso-2022-jp is detected", page, page.decode("iso2022_jp"), "ISO-2022-JP", "detected")

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w", encoding="utf-8") as f:
    json.dump(cases, f, ensure_ascii=False, indent=0)
    f.write("\n")
print(f"{len(cases)} cases -> {os.path.relpath(OUT)}")
