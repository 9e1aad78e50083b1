/**
 * Invented people for the held-out privacy set, written by hand for it: no name here was taken from
 * a package the detectors import, nor from the generator of the dev corpus (faker). Each origin has
 * given names and family names in the spelling such a person would use (diacritics kept). The
 * combinations are invented; any likeness to a real person is chance.
 */
export interface Origin {
  origin: string;
  given: string[];
  family: string[];
}

export const ORIGINS: Origin[] = [
  { origin: 'turkish', given: ['Emre', 'Gülşen', 'Oğuzhan', 'Serkan', 'Tuğba', 'Hatice', 'Barış', 'Çiğdem', 'İlker', 'Yasemin'], family: ['Yılmaz', 'Karagöz', 'Öztürk', 'Şahin', 'Çelikkaya', 'Doğan', 'Kılıçarslan', 'Aydemir', 'Güneş', 'Erdoğdu'] },
  { origin: 'polish', given: ['Małgorzata', 'Krzysztof', 'Agnieszka', 'Wojciech', 'Bożena', 'Łukasz', 'Grzegorz', 'Jadwiga', 'Przemysław', 'Dorota'], family: ['Wiśniewska', 'Kowalczyk', 'Wróblewski', 'Szczepańska', 'Jabłoński', 'Dąbrowski', 'Zieliński', 'Grabowska', 'Pawłowski', 'Łukaszewicz'] },
  { origin: 'arabic', given: ['Khaled', 'Rania', 'Yousef', 'Nour', 'Tarek', 'Samira', 'Bilal', 'Hanan', 'Omar', 'Layla'], family: ['Al-Masri', 'Haddad', 'Khoury', 'El-Sayed', 'Abdelrahman', 'Nasrallah', 'Mansour', 'Bakri', 'Al-Farsi', 'Saleh'] },
  { origin: 'vietnamese', given: ['Thảo', 'Huyền', 'Quang', 'Tuấn', 'Phương', 'Khánh', 'Nhung', 'Dũng', 'Hằng', 'Việt'], family: ['Nguyễn', 'Trần', 'Phạm', 'Hoàng', 'Huỳnh', 'Vũ', 'Đặng', 'Bùi', 'Đỗ', 'Lương'] },
  { origin: 'irish', given: ['Siobhán', 'Ciarán', 'Niamh', 'Oisín', 'Aoife', 'Pádraig', 'Caoimhe', 'Eoghan', 'Gráinne', 'Donnacha'], family: ["O'Sullivan", 'McCarthy', "Ó Briain", 'Mac Giolla', 'Donnelly', "O'Driscoll", 'McGuinness', 'Ní Bhriain', 'Fitzgerald', 'Kavanagh'] },
  { origin: 'german', given: ['Hannelore', 'Wolfgang', 'Gudrun', 'Detlef', 'Ingeborg', 'Rüdiger', 'Waltraud', 'Hartmut', 'Sieglinde', 'Torsten'], family: ['Quandtmeyer', 'Oberhäuser', 'Großkopf', 'Weißenborn', 'Brückner', 'Staudinger', 'Pfeiffer-Löhr', 'Kühnemund', 'Eichhorst', 'Strüßmann'] },
  { origin: 'greek', given: ['Dimitra', 'Stavros', 'Eleni', 'Konstantinos', 'Vasiliki', 'Theodoros', 'Chrysoula', 'Panagiotis', 'Angeliki', 'Spyridon'], family: ['Papadopoulou', 'Karamanlis', 'Oikonomou', 'Tsakiridis', 'Vlachou', 'Georgiadis', 'Antonopoulos', 'Kyriakidou', 'Mavridis', 'Zervas'] },
  { origin: 'italian', given: ['Giuseppina', 'Alessandro', 'Chiara', 'Gianluca', 'Federica', 'Salvatore', 'Ilaria', 'Domenico', 'Ornella', 'Vincenzo'], family: ['Esposito', 'Russo', 'Colombo', 'Bianchi', 'Ferraro', 'Mancini', 'Lombardi', 'Caputo', 'Santoro', 'De Luca'] },
  { origin: 'romanian', given: ['Ionuț', 'Mihaela', 'Bogdan', 'Roxana', 'Cătălin', 'Ioana', 'Sorin', 'Andreea', 'Răzvan', 'Loredana'], family: ['Popescu', 'Ionescu', 'Dumitrescu', 'Constantinescu', 'Stănescu', 'Munteanu', 'Țăranu', 'Răducanu', 'Gheorghiu', 'Văduva'] },
  { origin: 'persian', given: ['Shirin', 'Dariush', 'Parisa', 'Kourosh', 'Mahsa', 'Behnam', 'Niloufar', 'Farhad', 'Golnaz', 'Arash'], family: ['Hosseini', 'Rahimi', 'Tehrani', 'Karimi', 'Jafari', 'Sadeghi', 'Moradi', 'Ahmadinia', 'Rezaei', 'Shirazi'] },
  { origin: 'russian', given: ['Svetlana', 'Dmitrij', 'Ekaterina', 'Vladislav', 'Tatjana', 'Gennadij', 'Ljudmila', 'Anatolij', 'Oksana', 'Jewgenij'], family: ['Smirnova', 'Kusnezow', 'Wolkow', 'Sokolowa', 'Lebedew', 'Morozova', 'Nowikow', 'Pawlowa', 'Zaitsev', 'Belyakova'] },
  { origin: 'ukrainian', given: ['Oleksandr', 'Nataliia', 'Mykola', 'Iryna', 'Bohdan', 'Yuliia', 'Taras', 'Khrystyna', 'Vasyl', 'Solomiia'], family: ['Shevchenko', 'Kovalenko', 'Bondarenko', 'Tkachenko', 'Kravchuk', 'Melnyk', 'Hrytsenko', 'Lysenko', 'Savchuk', 'Ostapchuk'] },
  { origin: 'kurdish', given: ['Rojda', 'Serhat', 'Berivan', 'Dilan', 'Azad', 'Zilan', 'Rêber', 'Hêvî', 'Baran', 'Nûjîn'], family: ['Bozkurt', 'Zana', 'Amedî', 'Barzanî', 'Tekin', 'Kaya', 'Botan', 'Xelîl', 'Rojhilat', 'Dersimî'] },
];
