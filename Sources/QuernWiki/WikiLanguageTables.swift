/// Language-dependent names: section headings to drop, namespace aliases of File and Category,
/// language codes of interlanguage links, and how HTML/extension tags are treated.
public enum WikiLanguageTables {
    /// Headings of the reference-like sections, by language (lowercase).
    public static let sectionsByLanguage: [String: [String]] = [
        "en": ["references", "external links", "see also", "further reading", "notes", "footnotes", "bibliography",
               "sources", "citations", "notes and references", "references and notes", "external links and references",
               "works cited", "other websites", "primary sources", "secondary sources",
               "related pages", "explanatory notes", "general references", "general and cited references",
               "cited sources", "reference", "external link", "notes and sources", "references and sources",
               "sources and further reading", "further reading and external links"],
        "de": ["einzelnachweise", "weblinks", "literatur", "siehe auch", "anmerkungen", "quellen", "belege",
               "fußnoten", "nachweise", "referenzen", "literatur und weblinks", "quellen und weblinks"],
        "fr": ["références", "notes et références", "liens externes", "voir aussi", "bibliographie", "notes",
               "articles connexes", "sources", "lien externe", "annexes"],
        "es": ["referencias", "enlaces externos", "véase también", "bibliografía", "notas", "fuentes",
               "notas y referencias", "vínculos externos", "enlace externo", "lecturas adicionales"],
        "it": ["note", "bibliografia", "collegamenti esterni", "voci correlate", "altri progetti", "fonti",
               "riferimenti", "collegamento esterno", "approfondimenti"],
        "ja": ["脚注", "出典", "参考文献", "外部リンク", "関連項目", "注釈", "参考資料", "関連文献", "注", "脚注・出典",
               "出典・脚注", "脚注・注釈", "参照", "関連書籍", "参考", "註釈"],
        "bg": ["източници", "външни препратки", "вижте също", "бележки", "литература", "библиография", "препратки",
               "външни връзки"],
        "ru": ["примечания", "литература", "ссылки", "см. также", "источники", "библиография", "сноски"],
        "pt": ["referências", "ligações externas", "ver também", "bibliografia", "notas", "leitura adicional",
               "fontes", "links externos", "notas e referências"],
        "nl": ["referenties", "externe links", "externe link", "zie ook", "bronnen", "noten", "literatuur",
               "bronnen, noten en/of referenties", "voetnoten"],
        "pl": ["przypisy", "bibliografia", "linki zewnętrzne", "zobacz też", "uwagi", "źródła"],
        "zh": ["参考文献", "參考文獻", "参考资料", "參考資料", "外部链接", "外部連結", "外部連接", "相关条目", "相關條目",
               "注释", "註釋", "延伸阅读", "延伸閱讀", "参见", "參見", "脚注", "腳註", "参考", "參考", "注解"],
    ]

    /// The dropped headings for a wiki in `language`: its own and the English ones.
    public static func droppedSections(language: String?) -> Set<String> {
        var set = Set(sectionsByLanguage["en"] ?? [])
        if let language, let names = sectionsByLanguage[language.lowercased()] { set.formUnion(names) }
        return set
    }

    /// Names (lowercase) of the File, Media and Category namespaces in the common languages: a
    /// link with one of these prefixes is not text.
    static let fileAndCategoryPrefixes: Set<String> = [
        "file", "image", "media", "category",
        "datei", "bild", "kategorie",
        "fichier", "catégorie",
        "archivo", "imagen", "categoría",
        "immagine", "categoria",
        "ファイル", "画像", "カテゴリ", "カテゴリー",
        "файл", "картинка", "изображение", "категория", "категорија",
        "ficheiro", "arquivo", "imagem",
        "bestand", "afbeelding", "categorie",
        "plik", "grafika", "kategoria",
        "文件", "檔案", "图像", "圖像", "分类", "分類",
    ]

    /// Interwiki prefixes of sister projects: the link shows its target without the prefix.
    static let projectPrefixes: Set<String> = [
        "wikt", "wiktionary", "w", "wikipedia", "s", "wikisource", "q", "wikiquote", "b", "wikibooks",
        "n", "wikinews", "v", "wikiversity", "voy", "wikivoyage", "species", "wikispecies", "commons", "meta", "d",
        "wikidata",
    ]

    /// Interlanguage link prefixes: the language codes of the Wikipedias (ISO 639-1 and the
    /// longer codes in use). A list, not a letter-count rule: `[[Ice: The Movie]]` is a link.
    static func isLanguageCode(_ prefix: String) -> Bool { languageCodes.contains(prefix) }

    static let languageCodes: Set<String> = Set(("""
        aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz \
        ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik \
        io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml \
        mn mo mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc \
        sd se sg sh si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz \
        ve vi vo wa wo xh yi yo za zh zu \
        ace ady als alt ami ang anp arc ary arz ast atj avk awa bar bat-smg bcl be-tarask be-x-old bjn blk bpy \
        bug bxr cbk-zam cdo ceb chr chy ckb crh csb din diq dsb dty eml ext fat fiu-vro frp frr fur gag gan gcr \
        glk gom gor got guc gur guw hak haw hif hsb hyw ilo inh jam jbo kaa kab kbd kbp kcg koi krc ksh lad lbe \
        lez lfn lij lld lmo lrc ltg mad mai map-bms mdf mhr min mni mnw mrj mwl myv mzn nah nap nds nds-nl new \
        nia nov nqo nrm nso olo pag pam pap pcd pcm pdc pfl pih pms pnb pnt rmy roa-rup roa-tara rue sah sat scn \
        sco shi shn simple skr smn srn stq szl szy tay tcy tet tly tpi trv tum tyv udm vec vep vls war wuu xal \
        xmf yue zea zgh zh-classical zh-min-nan zh-yue zh-tw zh-cn zh-hk
        """).split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))

    enum TagKind { case unknown, drop, raw, lineBreak, transparent, block }

    /// How a tag is handled: dropped with its content, content kept verbatim, a line break, a
    /// tag that just goes (content kept), a block boundary, or not a tag (left as text).
    static func tagKind(_ name: String) -> TagKind {
        switch name {
        case "ref", "references", "math", "gallery", "timeline", "score", "graph", "imagemap",
             "mapframe", "maplink", "templatedata", "templatestyles", "hiero", "inputbox", "categorytree",
             "includeonly", "indicator", "section", "style", "script", "syntaxhighlight", "source", "charinsert",
             "phonos", "langconvert", "dynamicpagelist", "talkpage", "svg", "rt", "rp", "del", "s", "strike":
            return .drop
        case "nowiki", "pre", "chem", "ce":  // mhchem formulas read as text: H2O, CO2
            return .raw
        case "br", "hr":
            return .lineBreak
        case "p", "div", "blockquote", "center", "li", "ul", "ol", "dl", "dd", "dt", "table", "tr", "poem", "h1",
             "h2", "h3", "h4", "h5", "h6", "caption":
            return .block
        case "b", "i", "u", "em", "strong", "span", "small", "big", "sup", "sub", "font", "abbr", "cite", "q",
             "var", "mark", "ins", "bdi", "bdo", "dfn", "time", "data", "td", "th", "noinclude", "onlyinclude",
             "wbr", "ruby", "rb", "translate", "tvar", "a", "img", "nobr", "code", "tt", "kbd", "samp", "link":
            return .transparent
        default:
            return .unknown
        }
    }
}
