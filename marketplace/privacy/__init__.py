"""Producers' data rights: access (a copy of everything Minka holds), rectification,
objection and deletion, as Peru's Ley 29733, Mexico's LFPDPPP (the ARCO rights) and Colombia's
Ley 1581 give them; requests are records with their legal deadline."""
