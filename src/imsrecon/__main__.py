from imsrecon.cli.app import main

main()
