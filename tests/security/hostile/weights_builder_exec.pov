# attack: exec() in place of a weights builder
# expect: E202
weights w = exec("open('MARKER', 'w')")
