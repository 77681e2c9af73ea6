"""`lab serve`: the same app in a browser, through textual-serve (xterm.js; one `lab` process per
tab), behind the class's own login. It authenticates nothing itself beyond a token: it listens on
localhost or a Unix socket, and refuses any other address without a token."""
