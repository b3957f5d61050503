Route #1: 17 20 18 15 12
Route #2: 16 19 21 14
Route #3: 13 11 4 3 8 10
Route #4: 9 7 5 2 1 6
Cost 375
