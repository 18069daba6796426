from procuregen.cli import main

main()
