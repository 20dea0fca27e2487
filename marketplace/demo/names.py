"""Names of the demo world: given names and surnames by country and region, farm names.

Lists are written as comma-separated text to keep this file short; ``_names`` splits them.
Peruvian pools separate Amazonian (San Martín, Ucayali), Andean (Quechua) and northern
(Cajamarca) surnames; Mexican ones add Maya surnames of the Yucatán peninsula; Colombian ones
add Nasa surnames of Cauca, Nariño surnames and Afro-Colombian surnames of the Pacific coast.
"""

from __future__ import annotations


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


FEMALE: dict[str, tuple[str, ...]] = {
    "PE": _names(
        "María, Rosa, Juana, Carmen, Elena, Flor, Luz, Nelly, Marleni, Yolanda, Gladys, Norma, "
        "Hilda, Maritza, Delia, Edith, Rocío, Yesenia, Sonia, Isabel, Teresa, Lidia, Olga, "
        "Marisol, Milagros, Nancy, Elva, Dina, Zoila, Aurora, Felícita, Rosalía, Irma, Celia"
    ),
    "MX": _names(
        "María, Guadalupe, Juana, Margarita, Rosa, Leticia, Verónica, Patricia, Elena, Josefina, "
        "Martha, Alicia, Teresa, Francisca, Rosalía, Catalina, Petrona, Sebastiana, Micaela, "
        "Candelaria, Adriana, Isela, Reyna, Araceli, Mirna, Rosaura, Antonia, Lucía"
    ),
    "CO": _names(
        "María, Luz Marina, Ana, Gloria, Blanca, Rosa, Martha, Diana, Sandra, Yolanda, Nubia, "
        "Luz Dary, Ángela, Marleny, Aura, Omaira, Fanny, Esperanza, Dora, Deisy, Yaneth, Nohora, "
        "Edilma, Leidy, Carmenza, Amparo"
    ),
}
MALE: dict[str, tuple[str, ...]] = {
    "PE": _names(
        "Juan, José, Luis, Carlos, Jorge, Víctor, Segundo, Pedro, Wilmer, Elmer, Nilton, Edwin, "
        "Wilson, Hugo, Teodoro, Julio, Manuel, Santos, Roberto, Alfredo, Walter, Fredy, Rolando, "
        "Néstor, Germán, Raúl, Eusebio, Alejandro, Percy, Abel, Luciano, Gilmer, Héctor"
    ),
    "MX": _names(
        "José, Juan, Francisco, Miguel, Pedro, Antonio, Manuel, Jesús, Alejandro, Marcelino, "
        "Domingo, Sebastián, Mateo, Gaspar, Ramiro, Eleazar, Efraín, Arturo, Rigoberto, "
        "Gilberto, Santiago, Felipe, Esteban, Armando, Librado, Venancio"
    ),
    "CO": _names(
        "José, Luis, Carlos, Jorge, Jairo, Fabio, Hernando, Édgar, Álvaro, Orlando, Wilson, "
        "Arley, Jhon, Nelson, Gildardo, Hernán, Rubén, Óscar, Fernando, Aldemar, Libardo, "
        "Albeiro, Yesid, Duberney, Euclides, Ovidio"
    ),
}
SURNAMES: dict[str, tuple[str, ...]] = {
    "pe_amazon": _names(
        "Tapullima, Sangama, Shupingahua, Panaifo, Amasifuén, Tuanama, Satalaya, Cenepo, Pinchi, "
        "Sinarahua, Chujutalli, Pezo, Tananta, Isuiza, Tangoa, Huayunga, Salas, Del Águila, "
        "Ruiz, Pinedo, Vela, Ríos, Guerra, Ushiñahua, Cachique, Lozano"
    ),
    "pe_andes": _names(
        "Quispe, Mamani, Huamán, Condori, Ccori, Cusi, Yupanqui, Ccahuana, Huillca, Puma, "
        "Paucar, Ticona, Apaza, Huaranga, Cahuana, Chuquimia, Poma, Taipe, Huarcaya, Rojas, "
        "Mendoza, Soto, Flores, Inga, Zevallos, Huaroc"
    ),
    "pe_north": _names(
        "Huamán, Guevara, Cieza, Tocto, Chinchay, Neyra, Córdova, Alarcón, Bautista, Carrasco, "
        "Tineo, Delgado, Huancas, Jiménez, Chuquizuta, Tarrillo, Campos, Vílchez, Sánchez, Cruz"
    ),
    "pe_common": _names(
        "Ramírez, García, Vásquez, Torres, Díaz, Chávez, Fernández, Sánchez, Gonzales, Castillo, "
        "Silva, López, Pérez, Ramos"
    ),
    "mx_common": _names(
        "Hernández, López, Pérez, Gómez, Cruz, Méndez, Jiménez, García, Martínez, Sánchez, "
        "Ramírez, Vázquez, Morales, Ruiz, Díaz, Reyes, Aguilar, Santiago, Velázquez, Hidalgo"
    ),
    "mx_chiapas": _names(
        "Roblero, Bartolón, Gómez, Pérez, López, Díaz, Velázquez, Jiménez, Escalante, Maldonado, "
        "Pérez, Gálvez, Ortiz"
    ),
    "mx_oaxaca": _names(
        "Santiago, Martínez, Cortés, Ramírez, Luis, Bautista, Ruiz, Antonio, Mendoza, Pacheco, "
        "Matías, Toledo"
    ),
    "mx_maya": _names(
        "Canché, Chan, Pech, Ek, Couoh, May, Poot, Chi, Tun, Uc, Dzul, Cocom, Balam, Caamal, "
        "Yam, Ku, Tzuc, Cahuich, Puc, Chablé, Dzib, Euán"
    ),
    "co_common": _names(
        "Rodríguez, Muñoz, Díaz, Castillo, Ortiz, Benavides, Gómez, Martínez, López, García, "
        "Hernández, Ramírez, Sánchez, Rojas, Vargas, Moreno, Guzmán, Ospina, Cardona, Valencia, "
        "Torres"
    ),
    "co_cauca": _names(
        "Ipia, Pete, Yule, Campo, Pechené, Dagua, Ulcué, Chicangana, Muñoz, Bolaños, Anacona, "
        "Guevara, Quira, Chilito, Samboní"
    ),
    "co_narino": _names(
        "Bolaños, Erazo, Guerrero, Benavides, Ordóñez, Delgado, Burbano, Narváez, Rosero, "
        "Enríquez, Chamorro, Muñoz"
    ),
    "co_pacific": _names(
        "Angulo, Cortés, Quiñones, Valencia, Castillo, Caicedo, Obando, Preciado, Estupiñán, "
        "Montaño, Riascos, Hurtado"
    ),
}

#: What people call a plot, by country and value chain (the farm name's first word).
FARM_PREFIXES: dict[str, dict[str, tuple[str, ...]]] = {
    "PE": {
        "cacao": ("Chacra", "Parcela"),
        "cafe": ("Finca", "Chacra", "Parcela"),
        "default": ("Parcela", "Fundo"),
    },
    "MX": {
        "cafe": ("Finca", "Parcela"),
        "cacao": ("Parcela", "Finca"),
        "miel": ("Apiario",),
        "ganaderia": ("Rancho",),
        "default": ("Parcela", "Predio"),
    },
    "CO": {
        "ganaderia": ("Finca", "Hato"),
        "default": ("Finca", "Parcela", "Predio"),
    },
}
FARM_NAMES = _names(
    "La Esperanza, El Porvenir, San José, Santa Rosa, Los Naranjos, El Mirador, Bella Vista, "
    "Nuevo Amanecer, La Unión, El Paraíso, Santa Isabel, Las Palmeras, El Progreso, Los Cedros, "
    "La Florida, San Antonio, El Edén, Villa Rica, Los Ángeles, Monte Verde, La Primavera, El "
    "Recreo, Buenos Aires, Agua Dulce, La Cumbre, Las Brisas, Tres Ríos, El Guayabo, La "
    "Quebrada, Santa Clara, Los Pinos, La Bonanza, El Roble, San Isidro, La Victoria, El "
    "Limonal, Las Orquídeas, El Manantial, Dos Hermanos, La Herradura, Alto Bonito, Nueva Vida, "
    "El Pedregal, Los Laureles, San Miguel, La Palma, El Diamante"
)
