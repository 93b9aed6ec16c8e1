# attack: a 10 MB spec file (memory and parse time)
# generate: size_10mb
# expect: E001
let a = 1
