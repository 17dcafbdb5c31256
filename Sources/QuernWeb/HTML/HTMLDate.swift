/// Publication dates as pages state them in metadata (`2021-03-04T10:00:00+01:00`,
/// `2021/03/04`, `04.03.2021`, `20210304`) normalized to ISO-8601 `YYYY-MM-DD`.
enum HTMLDate {
    static func iso(_ v: UnsafeBufferPointer<UInt8>) -> String? {
        let n = min(v.count, 64)
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at >= 0, at + count <= n else { return nil }
            var x = 0
            for k in 0..<count {
                let c = v[at + k]
                guard c >= 48 && c <= 57 else { return nil }
                x = x * 10 + Int(c - 48)
            }
            return x
        }
        func isDigit(_ at: Int) -> Bool { at >= 0 && at < n && v[at] >= 48 && v[at] <= 57 }
        func valid(_ y: Int, _ m: Int, _ d: Int) -> String? {
            guard y >= 1900 && y <= 2100, m >= 1 && m <= 12, d >= 1 && d <= 31 else { return nil }
            let days = [31, (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            guard d <= days[m - 1] else { return nil }
            func two(_ x: Int) -> String { x < 10 ? "0\(x)" : "\(x)" }
            return "\(y)-\(two(m))-\(two(d))"
        }
        var i = 0
        while i < n {
            if isDigit(i) && !isDigit(i - 1) {
                // YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD (month and day may have one digit)
                if let y = digits(i, 4), i + 4 < n, [45, 47, 46].contains(v[i + 4]) {
                    let sep = v[i + 4]
                    var j = i + 5
                    let ml = isDigit(j + 1) ? 2 : 1
                    if let m = digits(j, ml), j + ml < n, v[j + ml] == sep {
                        j += ml + 1
                        let dl = isDigit(j + 1) ? 2 : 1
                        if let d = digits(j, dl), !isDigit(j + dl), let s = valid(y, m, d) { return s }
                    }
                }
                // YYYYMMDD
                if let y = digits(i, 4), let m = digits(i + 4, 2), let d = digits(i + 6, 2), !isDigit(i + 8),
                   let s = valid(y, m, d) { return s }
                // DD.MM.YYYY, DD/MM/YYYY
                let dl = isDigit(i + 1) ? 2 : 1
                if let d = digits(i, dl), i + dl < n, [46, 47, 45].contains(v[i + dl]) {
                    let sep = v[i + dl]
                    let j = i + dl + 1
                    let ml = isDigit(j + 1) ? 2 : 1
                    if let m = digits(j, ml), j + ml < n, v[j + ml] == sep, let y = digits(j + ml + 1, 4),
                       !isDigit(j + ml + 5), let s = valid(y, m, d) { return s }
                }
                while isDigit(i) { i += 1 }
                continue
            }
            i += 1
        }
        return nil
    }
}
