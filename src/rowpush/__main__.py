from rowpush.cli import run

run()
