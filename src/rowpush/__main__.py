from rowpush.cli import main

main()
