from cpaas.cli import main

main()
