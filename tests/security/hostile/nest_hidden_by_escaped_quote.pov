# attack: 5,000 nested parentheses hidden from the nesting check by an escaped quote,
# which the check's string scanner mistakes for the end of the string
# generate: nest_escaped_quote
# expect: E003
let a = "\"" + ((((x))))
